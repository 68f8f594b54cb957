"""Fingerprints: one stable identity per crash, so the same failure is one healing case."""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

from app.healing.incidents.model import Incident
from app.healing.localise import RepositoryFiles


def fingerprint(incident: Incident, files: RepositoryFiles | None = None) -> str:
    """Exception type plus in-app frames as `file:function` (no line numbers, no machine paths).

    With `files`, frame paths are repository paths; without, the last two path parts."""
    exception = incident.exception
    parts = [exception.short_type]
    for frame in exception.frames:
        if frame.in_app is False:
            continue
        path = files.resolve(frame.filename) if files else _tail(frame.filename)
        if path is None or (files is None and "site-packages" in frame.filename):
            continue
        parts.append(f"{path}:{frame.function}")
    if incident.failing_tests:
        parts.extend(sorted(test.node_id for test in incident.failing_tests))
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return digest[:16]


def _tail(filename: str) -> str:
    return "/".join(PurePosixPath(filename.replace("\\", "/")).parts[-2:])
