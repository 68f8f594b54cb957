"""Placing an incident's frames in the repository and ranking the suspicious locations."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from app.healing.incidents.errors import IncidentOutsideRepository
from app.healing.incidents.model import ExceptionInfo, Frame, Incident
from app.workspace import read_text, regular_files

_SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".venv", "venv", "env", ".tox", ".nox", "node_modules", "__pycache__",
     "build", "dist", ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages"}
)  # fmt: skip
_THIRD_PARTY = re.compile(r"(^|/)(site-packages|dist-packages)/|^<|(^|/)lib/python\d")
_TEST_FILE = re.compile(
    r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_test\.py$|(^|/)conftest\.py$"
)
_CALLER_DECAY = 0.7


def is_test_file(path: str) -> bool:
    return bool(_TEST_FILE.search(path))


@dataclass(frozen=True)
class Location:
    """A line of a repository file suspected of holding the fault, most suspicious first."""

    path: str
    line: int
    function: str
    score: float
    frame: Frame | None = None
    exception: ExceptionInfo | None = None


class RepositoryFiles:
    """The Python files of one checkout, matched against paths seen on other machines."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.paths = sorted(self._walk())
        self._by_name: dict[str, list[str]] = {}
        for path in self.paths:
            self._by_name.setdefault(PurePosixPath(path).name, []).append(path)

    def _walk(self) -> Iterable[str]:
        # Regular files only: a link is never a source, whatever it names.
        for path in regular_files(self.root, keep_directory=_kept):
            if path.endswith(".py"):
                yield path

    def resolve(self, filename: str) -> str | None:
        """The repository path sharing the longest path suffix with `filename`, if any."""
        normalised = filename.replace("\\", "/")
        if _THIRD_PARTY.search(normalised):
            return None
        parts = [part for part in normalised.split("/") if part not in ("", ".")]
        if not parts:
            return None
        candidates = self._by_name.get(parts[-1], [])
        best: tuple[int, int, str] | None = None
        for candidate in candidates:
            shared = _shared_suffix(parts, candidate.split("/"))
            # Longest shared suffix wins; among equals, the shallowest path.
            key = (shared, -candidate.count("/"), candidate)
            if best is None or key[:2] > best[:2]:
                best = key
        return best[2] if best else None

    def read(self, path: str) -> str:
        """The text of a repository file; `RepositoryPathRefused` when it leads out of the
        repository, is not a regular file or is too large."""
        return read_text(self.root, path)


def _kept(directory: str) -> bool:
    return directory not in _SKIPPED_DIRS and not directory.endswith(".egg-info")


def _shared_suffix(left: list[str], right: list[str]) -> int:
    count = 0
    for a, b in zip(reversed(left), reversed(right), strict=False):
        if a != b:
            break
        count += 1
    return count


def suspicious_locations(incident: Incident, files: RepositoryFiles) -> list[Location]:
    """Crash frames first, then their callers; the raised exception before its causes.

    Test files are never locations: a fix may not edit a test."""
    ranked: dict[tuple[str, int], Location] = {}
    chain_weight = 1.0
    for exception in reversed(incident.exceptions):
        weight = chain_weight
        for frame in reversed(exception.frames):
            path = files.resolve(frame.filename) if frame.in_app is not False else None
            if path is None or frame.lineno is None or is_test_file(path):
                continue
            key = (path, frame.lineno)
            if key not in ranked or ranked[key].score < weight:
                ranked[key] = Location(path, frame.lineno, frame.function, weight, frame, exception)
            weight *= _CALLER_DECAY
        chain_weight *= 0.5
    for failing in incident.failing_tests:
        if failing.exception is None:
            continue
        weight = 0.9
        for frame in reversed(failing.exception.frames):
            path = files.resolve(frame.filename)
            if path is None or frame.lineno is None or is_test_file(path):
                continue
            key = (path, frame.lineno)
            if key not in ranked:
                ranked[key] = Location(
                    path, frame.lineno, frame.function, weight, frame, failing.exception
                )
            weight *= _CALLER_DECAY
    return sorted(ranked.values(), key=lambda location: -location.score)


def require_in_repository(incident: Incident, files: RepositoryFiles) -> None:
    """Raise when no frame of the incident (tests included) lies in the repository."""
    frames = [frame for exception in incident.exceptions for frame in exception.frames]
    frames += [f for t in incident.failing_tests if t.exception for f in t.exception.frames]
    if incident.failing_tests:
        return  # a failing test is in the repository by definition
    if not any(files.resolve(frame.filename) for frame in frames):
        shown = ", ".join(sorted({frame.filename for frame in frames})[:5]) or "no frames at all"
        raise IncidentOutsideRepository(
            f"none of the incident's frames is a file of {files.root} (frames: {shown})"
        )
