"""Fixtures for evolution tests: a small, fast sample of the built-in crash corpus."""

from __future__ import annotations

import pytest

from app.evolution.corpus import ReplayCase, default_corpus_path, load_corpus
from app.healing.candidate_search import Budget

# The five crash cases the healer settles fastest: one template candidate or two each.
FAST_CRASHES = ("attribute_typo", "key_error", "max_empty", "missing_import", "moved_import")


@pytest.fixture(scope="session")
def fast_crashes() -> list[ReplayCase]:
    corpus = default_corpus_path()
    assert corpus is not None, "the bench corpus ships with the source tree"
    cases = [case for case in load_corpus(corpus) if case.name in FAST_CRASHES]
    assert [case.name for case in cases] == list(FAST_CRASHES)
    return cases


@pytest.fixture
def case_budget() -> Budget:
    return Budget(seconds=60.0, parallel=1, run_timeout=30.0)
