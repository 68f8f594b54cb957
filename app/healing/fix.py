"""The validated fix: its diff, the evidence behind it and the confidence that evidence allows."""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """The tests run before and after the change, and whether the incident was reproduced."""

    reproduced: bool
    reproduction: str | None
    target_tests: tuple[str, ...]
    before: dict[str, int]
    after: dict[str, int]
    candidates_tried: int
    seconds: float
    llm_cost_usd: float = 0.0


@dataclass(frozen=True)
class Fix:
    """A validated change, ready to be applied or proposed as a pull request."""

    id: str
    case_id: str
    fingerprint: str
    strategy: str
    operator: str
    description: str
    diff: str
    files: tuple[str, ...]
    changes: dict[str, str]
    root_cause: str
    confidence: float
    evidence: Evidence
    new_tests: dict[str, str] = field(default_factory=dict)
    location: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "fingerprint": self.fingerprint,
            "strategy": self.strategy,
            "operator": self.operator,
            "description": self.description,
            "files": list(self.files),
            "location": self.location,
            "diff": self.diff,
            "root_cause": self.root_cause,
            "confidence": self.confidence,
            "new_tests": sorted(self.new_tests),
            "evidence": {
                "reproduced": self.evidence.reproduced,
                "reproduction": self.evidence.reproduction,
                "target_tests": list(self.evidence.target_tests),
                "before": self.evidence.before,
                "after": self.evidence.after,
                "candidates_tried": self.evidence.candidates_tried,
                "seconds": round(self.evidence.seconds, 2),
                "llm_cost_usd": round(self.evidence.llm_cost_usd, 6),
            },
        }


def new_fix_id() -> str:
    return f"fix-{uuid.uuid4().hex[:12]}"


def unified_diff(originals: dict[str, str], changes: dict[str, str]) -> str:
    parts: list[str] = []
    for path in sorted(changes):
        parts.extend(
            difflib.unified_diff(
                originals.get(path, "").splitlines(keepends=True),
                changes[path].splitlines(keepends=True),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
        )
    return "".join(parts)


# Prior trust in each strategy's edits when the evidence is otherwise equal: a template encodes
# a known fix for the exception kind; a search edit only happens to satisfy the tests.
_STRATEGY_PRIOR = {"template": 1.0, "search": 0.85, "llm": 0.85, "revert": 0.7}


def confidence(strategy: str, reproduced: bool, tests_after: int, new_failures: int) -> float:
    """0.9+ for a reproduced incident fixed with every test passing; a fix nobody could
    reproduce stays below 0.4 whatever passes, since the tests never saw the bug."""
    prior = _STRATEGY_PRIOR.get(strategy, 0.8)
    if new_failures:
        return 0.0
    if not reproduced:
        return round(0.35 * prior, 2)
    # A suite with very few tests says little about regressions.
    coverage = min(1.0, 0.8 + 0.02 * tests_after)
    return round(0.95 * prior * coverage, 2)
