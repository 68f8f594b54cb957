"""Ranking candidates by precedent: what maintainers did with similar fixes of similar incidents."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.healing.candidates import Candidate
from app.healing.fix import unified_diff
from app.healing.incidents.model import Incident
from app.healing.llm_context import FixExamples, memory_text
from app.healing.localise import RepositoryFiles
from app.workspace import is_repository_file

log = logging.getLogger(__name__)

# Candidates of one strategy reordered together: enough to cover a template strategy's whole
# output and the first round of the search's edits, few enough to generate in milliseconds.
RANK_WINDOW = 16
# Past incidents less alike than this say nothing about this one (as for the LLM's examples).
MIN_INCIDENT_SCORE = 0.3
MAX_PRECEDENTS = 8
OUTCOME_SIGN = {"merged": 1.0, "rejected": -1.0, "reverted": -1.0}
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|==|!=|<=|>=|\*\*|//|[-+*/%<>]")


def change_features(diff: str) -> frozenset[str]:
    """What a diff does, as tokens of its removed lines (`-name`) and added lines (`+name`):
    identifiers, keywords, numbers and operators. Context lines and file names are left out,
    so two fixes that make the same kind of edit in different code share most features."""
    features: set[str] = set()
    for line in diff.splitlines():
        if line.startswith(("---", "+++")) or line[:1] not in ("+", "-"):
            continue
        features.update(line[0] + token.lower() for token in _TOKEN.findall(line[1:]))
    return frozenset(features)


@dataclass(frozen=True)
class Precedent:
    """A remembered fix of a similar incident: what it changed, and how much its outcome
    weighs here (positive when merged, negative when rejected or reverted, scaled by how
    alike the two incidents are)."""

    features: frozenset[str]
    weight: float


class PrecedentRanking:
    """Orders candidates so that fixes like the ones maintainers merged for similar incidents
    are tried first and fixes like the ones they rejected are tried last.

    The rule, deterministic for a given memory: the fix memory's nearest past fixes with an
    incident similarity s ≥ 0.3 (at most 8) are the precedents. A candidate's score is
    Σ sign · s · J over them, where sign is +1 for a merged fix and -1 for a rejected or
    reverted one, and J is the Jaccard similarity of the candidate's diff features and the
    precedent's (`change_features`). Candidates are stably sorted by score, highest first, so
    equal scores — every candidate, when there is no precedent — keep the order their strategy
    proposed them in. The pipeline applies it within a window of each strategy's proposals
    (`RANK_WINDOW`), never to a strategy that paces its own proposals (the LLM).
    """

    def __init__(self, precedents: Sequence[Precedent] = ()) -> None:
        self.precedents = tuple(precedents)

    @property
    def active(self) -> bool:
        return bool(self.precedents)

    @classmethod
    async def recall(
        cls, memory: FixExamples, incident: Incident, files: RepositoryFiles
    ) -> PrecedentRanking:
        """The precedents for `incident`; none when the memory fails (it is a help, never a
        reason to fail a case)."""
        try:
            similar = await memory.similar(memory_text(incident, files), MAX_PRECEDENTS)
        except Exception as error:
            log.warning("fix memory unavailable for ranking", extra={"error": str(error)[:300]})
            return cls()
        precedents = [
            Precedent(change_features(hit.fix.diff), OUTCOME_SIGN[str(hit.fix.outcome)] * hit.score)
            for hit in similar
            if hit.score >= MIN_INCIDENT_SCORE and str(hit.fix.outcome) in OUTCOME_SIGN
        ]
        return cls(precedents)

    def score(self, candidate: Candidate, files: RepositoryFiles) -> float:
        if not self.precedents or not candidate.changes:
            return 0.0
        try:
            originals = {path: _read(files, path) for path in candidate.changes}
        except (OSError, UnicodeDecodeError):
            return 0.0
        features = change_features(unified_diff(originals, candidate.changes))
        return sum(p.weight * _jaccard(features, p.features) for p in self.precedents)

    def order(self, candidates: Sequence[Candidate], files: RepositoryFiles) -> list[Candidate]:
        if not self.precedents or len(candidates) < 2:
            return list(candidates)
        scores = [self.score(candidate, files) for candidate in candidates]
        ranked = sorted(range(len(candidates)), key=lambda i: -scores[i])
        return [candidates[i] for i in ranked]


def _read(files: RepositoryFiles, path: str) -> str:
    return files.read(path) if is_repository_file(files.root, path) else ""


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0
