"""Placing frames from other machines in the repository; fingerprints of the same crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.healing.fingerprint import fingerprint
from app.healing.incidents import (
    ExceptionInfo,
    Frame,
    Incident,
    IncidentOutsideRepository,
    IncidentSource,
    incident_from_traceback,
)
from app.healing.localise import RepositoryFiles, require_in_repository, suspicious_locations
from tests.healing.conftest import write_repo


@pytest.fixture
def repo(tmp_path: Path) -> RepositoryFiles:
    write_repo(
        tmp_path,
        {
            "src/shop/orders.py": "x = 1\n",
            "src/shop/api.py": "x = 1\n",
            "legacy/orders.py": "x = 1\n",
            "tests/test_orders.py": "x = 1\n",
            ".venv/lib/python3.11/site-packages/shop/orders.py": "x = 1\n",
        },
    )
    return RepositoryFiles(tmp_path)


def _incident(*frames: tuple[str, int, str]) -> Incident:
    return Incident(
        source=IncidentSource.TRACEBACK,
        exceptions=(
            ExceptionInfo(
                "KeyError", "'qty'", tuple(Frame(f, func, line) for f, line, func in frames)
            ),
        ),
    )


def test_paths_from_other_machines_match_by_longest_suffix(repo: RepositoryFiles) -> None:
    assert repo.resolve("/srv/deploy/src/shop/orders.py") == "src/shop/orders.py"
    assert repo.resolve("C:\\build\\shop\\orders.py") == "src/shop/orders.py"
    assert repo.resolve("/old/legacy/orders.py") == "legacy/orders.py"
    assert repo.resolve("/x/y/unknown.py") is None


def test_site_packages_and_stdlib_are_never_repository_files(repo: RepositoryFiles) -> None:
    assert repo.resolve("/usr/lib/python3.11/site-packages/shop/orders.py") is None
    assert repo.resolve("/usr/lib/python3.11/json/decoder.py") is None
    assert ".venv" not in " ".join(repo.paths)


def test_crash_frame_ranks_first_then_callers_and_tests_are_excluded(
    repo: RepositoryFiles,
) -> None:
    incident = _incident(
        ("/ci/tests/test_orders.py", 3, "test_total"),
        ("/srv/src/shop/api.py", 10, "handle"),
        ("/usr/lib/python3.11/site-packages/flask/app.py", 99, "dispatch"),
        ("/srv/src/shop/orders.py", 2, "total"),
    )

    locations = suspicious_locations(incident, repo)

    assert [(loc.path, loc.line) for loc in locations] == [
        ("src/shop/orders.py", 2),
        ("src/shop/api.py", 10),
    ]
    assert locations[0].score > locations[1].score


def test_incident_with_no_frame_in_the_repository_is_rejected(repo: RepositoryFiles) -> None:
    incident = _incident(("/usr/lib/python3.11/json/decoder.py", 5, "decode"))

    with pytest.raises(IncidentOutsideRepository, match="none of the incident's frames"):
        require_in_repository(incident, repo)


def test_fingerprint_ignores_line_numbers_and_machine_paths(repo: RepositoryFiles) -> None:
    here = _incident(
        ("/srv/src/shop/api.py", 10, "handle"), ("/srv/src/shop/orders.py", 2, "total")
    )
    there = _incident(
        ("/home/me/src/shop/api.py", 12, "handle"), ("/home/me/src/shop/orders.py", 7, "total")
    )
    other = _incident(("/srv/src/shop/api.py", 10, "handle"), ("/srv/src/shop/api.py", 2, "total"))

    assert fingerprint(here, repo) == fingerprint(there, repo)
    assert fingerprint(here, repo) != fingerprint(other, repo)


def test_fingerprint_of_text_traceback_without_repository_is_stable() -> None:
    text = (
        'Traceback (most recent call last):\n  File "/a/b/m.py", line {n}, in f\n'
        "    x\nKeyError: 1\n"
    )

    first = fingerprint(incident_from_traceback(text.format(n=3)))
    second = fingerprint(incident_from_traceback(text.format(n=9)))

    assert first == second and len(first) == 16
