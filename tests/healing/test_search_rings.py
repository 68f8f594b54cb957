"""The search spends its budget: rings after the first proposals, and why it stopped.

Run on a real repository in the sandbox with hand-written strategies, so each test knows
exactly which candidates exist and which of them pass."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.events.model import Event, EventType
from app.healing.candidate_search import Budget, HealingResult
from app.healing.candidates import Candidate, RepairContext
from app.healing.engine import heal_repository
from app.healing.pipeline import Healer
from app.healing.runner import SandboxCommandRunner
from tests.healing.conftest import KINTSUGI_TESTS

pytestmark = pytest.mark.sandbox

BUGGY = "def double(x):\n    return x + x + 1\n"
WRONG = "def double(x):\n    return x + x + 2\n"
STILL_WRONG = "def double(x):\n    return x * 3\n"
RIGHT = "def double(x):\n    return x + x\n"
RIGHT_BUT_LARGER = "def double(x):\n    return sum([x, x, 0]) - 0\n"
TESTS = (
    "from calc import double\n\n\n"
    "def test_double():\n    assert double(2) == 4\n\n\n"
    "def test_zero():\n    assert double(0) == 0\n"
)


class Listed:
    """Proposes `first`, and `rings[n]` when asked to widen to ring n."""

    name = "listed"

    def __init__(self, first: list[str], rings: dict[int, list[str]] | None = None) -> None:
        self.first = first
        self.rings = rings or {}
        self.asked: list[int] = []

    async def propose(self, context: RepairContext) -> AsyncIterator[Candidate]:
        for index, text in enumerate(self.first):
            yield Candidate(self.name, "edit", f"first {index}", {"calc.py": text})

    async def widen(self, context: RepairContext, ring: int) -> AsyncIterator[Candidate]:
        self.asked.append(ring)
        for index, text in enumerate(self.rings.get(ring, [])):
            yield Candidate(self.name, "edit", f"ring {ring} #{index}", {"calc.py": text})


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "calc"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text(BUGGY)
    (root / "tests" / "test_calc.py").write_text(TESTS)
    return root


async def _heal(repo: Path, strategy: Listed, budget: Budget) -> tuple[HealingResult, list[Event]]:
    events: list[Event] = []
    healer = Healer(SandboxCommandRunner(), [strategy], publish=events.append, budget=budget)
    return await heal_repository(healer, repo, tests=KINTSUGI_TESTS), events


async def test_a_fix_in_a_later_ring_is_found_once_the_first_proposals_are_spent(
    repo: Path,
) -> None:
    strategy = Listed([WRONG], {2: [RIGHT]})

    result, events = await _heal(repo, strategy, Budget(seconds=120))

    assert result.fix is not None and result.fix.description == "ring 2 #0"
    assert result.stopped == "fixed" and result.rings == 2
    assert strategy.asked == [1, 2]
    validated = [event for event in events if event.type == EventType.HEALING_FIX_VALIDATED]
    assert validated[0].payload["stopped"] == "fixed"


async def test_a_search_that_tries_every_ring_says_the_space_is_exhausted(repo: Path) -> None:
    strategy = Listed([WRONG], {1: [STILL_WRONG]})

    result, events = await _heal(repo, strategy, Budget(seconds=120))

    assert result.fix is None
    assert result.stopped == "exhausted" and result.rings == 3
    assert strategy.asked == [1, 2, 3]
    assert result.candidates_tried == 2
    assert events[-1].type == EventType.HEALING_FIX_NOT_FOUND
    assert events[-1].payload["stopped"] == "exhausted"


async def test_a_search_cut_off_by_its_candidate_budget_says_so(repo: Path) -> None:
    strategy = Listed([WRONG, STILL_WRONG], {1: [RIGHT]})

    result, events = await _heal(repo, strategy, Budget(seconds=120, max_candidates=1, parallel=1))

    assert result.fix is None and result.stopped == "budget"
    assert strategy.asked == []
    assert events[-1].payload["stopped"] == "budget"


async def test_among_passing_candidates_the_smallest_edit_wins(repo: Path) -> None:
    strategy = Listed([RIGHT_BUT_LARGER, RIGHT])

    result, _ = await _heal(repo, strategy, Budget(seconds=120, parallel=2))

    assert result.fix is not None and result.fix.changes["calc.py"] == RIGHT


async def test_a_candidate_singling_out_a_test_input_is_refused_untried(repo: Path) -> None:
    special_case = "def double(x):\n    if x == 2:\n        return 4\n    return x + x + 1\n"
    strategy = Listed([special_case])

    result, _ = await _heal(repo, strategy, Budget(seconds=120))

    assert result.fix is None and result.candidates_tried == 0
    refusal = ("first 0", "compares against 2, a literal taken from the failing tests")
    assert refusal in result.rejections
