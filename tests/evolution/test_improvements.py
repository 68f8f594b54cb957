"""Improvement proposals: only codemods that keep the repository's suite green, with a diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.evolution.codemods import EmptyDictCall
from app.evolution.improvements import propose_improvements

pytestmark = pytest.mark.sandbox

_MODULE = """\
from typing import Dict, List


def tally(words: List[str]) -> Dict[str, int]:
    counts = dict()
    for word in words:
        counts[word] = counts.get(word, 0) + 1
    return counts


def describe(word, counts):
    return "%s: %r" % (word, counts)
"""

_TESTS = """\
from words import describe, tally


def test_tally():
    assert tally(["a", "b", "a"]) == {"a": 2, "b": 1}


def test_describe():
    assert describe("a", 2) == "a: 2"
"""


@pytest.fixture
def words_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "words.py").write_text(_MODULE)
    (root / "tests" / "test_words.py").write_text(_TESTS)
    return root


async def test_green_codemods_are_proposed_with_their_diff(words_repo: Path) -> None:
    proposals = await propose_improvements(words_repo, max_proposals=3)

    assert [p.codemod for p in proposals] == ["typing_builtins", "percent_fstring", "empty_dict"]
    typing_builtins = proposals[0]
    assert typing_builtins.files == ("words.py",)
    assert "+def tally(words: list[str]) -> dict[str, int]:" in typing_builtins.diff
    assert typing_builtins.tests_before["passed"] == typing_builtins.tests_after["passed"] == 2
    assert '+    return f"{word}: {counts!r}"' in proposals[1].diff
    assert (words_repo / "words.py").read_text() == _MODULE  # proposals never touch the tree


async def test_a_codemod_that_breaks_the_suite_is_not_proposed(words_repo: Path) -> None:
    # A test that depends on the exact construction call: `{}` makes it fail.
    (words_repo / "tests" / "test_source.py").write_text(
        "import inspect, words\n\n\ndef test_uses_dict_call():\n"
        "    assert 'dict()' in inspect.getsource(words.tally)\n"
    )

    proposals = await propose_improvements(words_repo, codemods=[EmptyDictCall()])

    assert proposals == []


async def test_nothing_is_proposed_while_the_suite_is_red(words_repo: Path) -> None:
    (words_repo / "tests" / "test_red.py").write_text("def test_red():\n    assert False\n")

    assert await propose_improvements(words_repo) == []
