"""Improvement proposals: only codemods that keep the repository's suite green, with a diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.evolution.codemods import EmptyDictCall
from app.evolution.improvements import propose_improvements
from app.evolution.speedups import AppendLoopToComprehension, MembershipInStringSet
from tests.healing.conftest import KINTSUGI_TESTS

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
    proposals = await propose_improvements(words_repo, tests=KINTSUGI_TESTS, max_proposals=3)

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

    proposals = await propose_improvements(
        words_repo, tests=KINTSUGI_TESTS, codemods=[EmptyDictCall()]
    )

    assert proposals == []


async def test_nothing_is_proposed_while_the_suite_is_red(words_repo: Path) -> None:
    (words_repo / "tests" / "test_red.py").write_text("def test_red():\n    assert False\n")

    assert await propose_improvements(words_repo, tests=KINTSUGI_TESTS) == []


_STATS = """\
def squares(n):
    out = []
    for i in range(n):
        out.append(i * i)
    return out


def greek(kind):
    return kind in ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
"""

_STATS_TESTS = """\
from stats import greek, squares


def test_squares():
    assert squares(4) == [0, 1, 4, 9]


def test_greek():
    assert greek("gamma") and not greek("omega")
"""

# Exercises `greek` only (mostly with words it does not know: every list item compared);
# `squares` is never called, so rewriting it cannot show a gain.
BENCH = """\
from stats import greek

WORDS = ["omega", "pi", "theta", "rho"] * 250
for _ in range(4_000):
    for word in WORDS:
        greek(word)
"""


@pytest.fixture
def stats_repo(tmp_path: Path) -> Path:
    root = tmp_path / "stats"
    (root / "tests").mkdir(parents=True)
    (root / "stats.py").write_text(_STATS)
    (root / "tests" / "test_stats.py").write_text(_STATS_TESTS)
    (root / "bench.py").write_text(BENCH)
    return root


async def test_a_speedup_the_benchmark_shows_is_proposed_with_its_figures(
    stats_repo: Path,
) -> None:
    declined: list[str] = []
    [proposal] = await propose_improvements(
        stats_repo,
        tests=KINTSUGI_TESTS,
        codemods=[MembershipInStringSet()],
        benchmark_command="python bench.py",
        declined=declined,
    )

    assert declined == []
    assert proposal.codemod == "membership_set"
    assert '+    return kind in {"alpha", "beta", "gamma",' in proposal.diff
    figures = proposal.benchmark
    assert figures is not None and figures.command == "python bench.py"
    assert len(figures.before) == len(figures.after) == 5
    assert figures.faster and figures.median_after <= 0.9 * figures.median_before
    assert "Benchmark: median" in proposal.description


async def test_a_speedup_the_benchmark_does_not_show_is_declined_with_the_figures(
    stats_repo: Path,
) -> None:
    declined: list[str] = []
    proposals = await propose_improvements(
        stats_repo,
        tests=KINTSUGI_TESTS,
        codemods=[AppendLoopToComprehension()],
        benchmark_command="python bench.py",
        declined=declined,
    )

    assert proposals == []
    [reason] = declined
    assert reason.startswith("`append_comprehension` is not measurably faster: median")
    assert "at least 10% needed" in reason and "5 runs each of `python bench.py`" in reason


async def test_no_speedup_is_proposed_without_a_benchmark_command(stats_repo: Path) -> None:
    declined: list[str] = []
    proposals = await propose_improvements(
        stats_repo, tests=KINTSUGI_TESTS, codemods=[AppendLoopToComprehension()], declined=declined
    )

    assert proposals == []
    assert declined == [
        "`append_comprehension` would change 1 file(s), but a speedup needs measured "
        "figures: declare `benchmark_command` in `.github/kintsugi.yml`"
    ]


async def test_a_benchmark_that_fails_measures_nothing(stats_repo: Path) -> None:
    (stats_repo / "bench.py").write_text("raise SystemExit(3)\n")
    declined: list[str] = []
    proposals = await propose_improvements(
        stats_repo,
        tests=KINTSUGI_TESTS,
        codemods=[AppendLoopToComprehension()],
        benchmark_command="python bench.py",
        declined=declined,
    )

    assert proposals == []
    [reason] = declined
    assert "the benchmark did not run clean" in reason and "exited 3" in reason
