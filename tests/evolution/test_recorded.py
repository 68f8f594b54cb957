"""Recorded live cases become replay cases: the incident read back from the log, newest first,
one per failure and commit, with the fix merged for that case as the reference."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from app.environments.config import EnvironmentConfig
from app.events.model import Event, EventMetadata, EventType
from app.evolution.recorded import (
    RecordedSource,
    UnreadableRecord,
    incident_from_data,
    recorded_cases,
    recorded_installations,
)
from app.healing.incidents import incident_from_traceback

TRACEBACK = """\
Traceback (most recent call last):
  File "/srv/app/shop/orders.py", line 2, in total
    return order["price"] * order["qty"]
KeyError: 'qty'
"""


def as_logged(incident: Any) -> dict[str, Any]:
    """What `healing.case_opened` keeps: the incident through JSON."""
    data: dict[str, Any] = json.loads(json.dumps(asdict(incident), default=str))
    return data


def opened(
    position: int, case_id: str, *, repo: str = "octo/shop", commit: str = "a" * 40, **extra: Any
) -> Event:
    payload = {
        "case_id": case_id,
        "fingerprint": extra.pop("fingerprint", "fp-" + case_id),
        "incident": "KeyError: 'qty'",
        "incident_data": as_logged(incident_from_traceback(TRACEBACK)),
        "test_command": "python -m pytest -q",
        "repository": repo,
        "commit": commit,
        **extra,
    }
    return Event(type=EventType.HEALING_CASE_OPENED, source="t", payload=payload, position=position)


def later(position: int, kind: str, case_id: str, **payload: Any) -> Event:
    return Event(type=kind, source="t", payload={"case_id": case_id, **payload}, position=position)


def test_a_logged_incident_reads_back_equal_to_the_one_healed() -> None:
    incident = incident_from_traceback(TRACEBACK)
    assert incident_from_data(as_logged(incident)) == incident


def test_a_logged_incident_without_exceptions_is_unreadable() -> None:
    with pytest.raises(UnreadableRecord):
        incident_from_data({"source": "traceback", "exceptions": []})
    with pytest.raises(UnreadableRecord):
        incident_from_data({"source": "nowhere", "exceptions": [{"type": "KeyError"}]})


def test_cases_come_newest_first_for_the_repository_asked_once_per_failure_and_commit() -> None:
    events = [
        opened(1, "old", fingerprint="same"),
        opened(2, "other-repo", repo="octo/bank"),
        opened(3, "new", fingerprint="same"),  # the same failure at the same commit again
        opened(4, "newest", commit="b" * 40, fingerprint="same"),
        # recorded before cases kept their inputs: not replayable
        Event(
            type=EventType.HEALING_CASE_OPENED,
            source="t",
            payload={"case_id": "bare", "repository": "octo/shop"},
            position=5,
        ),
    ]
    names = [case.case_id for case in recorded_cases(events, repository="octo/shop")]
    assert names == ["newest", "new"]
    assert {c.case_id for c in recorded_cases(events)} == {"newest", "new", "other-repo"}


def test_the_reference_is_the_fix_merged_for_that_case_and_nothing_for_a_rejected_one() -> None:
    diff = "--- a/shop/orders.py\n+++ b/shop/orders.py\n"
    events = [
        opened(1, "merged"),
        later(2, EventType.HEALING_FIX_VALIDATED, "merged", diff=diff, location="shop/orders.py:2"),
        later(3, EventType.HEALING_PR_MERGED, "merged"),
        opened(4, "rejected", commit="c" * 40),
        later(5, EventType.HEALING_FIX_VALIDATED, "rejected", diff=diff, location="x.py:1"),
        later(6, EventType.HEALING_PR_REJECTED, "rejected"),
    ]
    by_id = {case.case_id: case for case in recorded_cases(events)}
    reference = by_id["merged"].reference
    assert reference is not None
    assert reference.diff == diff and reference.location == "shop/orders.py:2"
    assert by_id["rejected"].reference is None


class DirectoryCheckouts:
    """Checks out from a dict of commit → files; an unknown commit fails like a lost ref."""

    def __init__(
        self, snapshots: dict[str, dict[str, str]], overrides: EnvironmentConfig | None = None
    ) -> None:
        self.snapshots = snapshots
        self.overrides = overrides

    async def check_out(self, repository: str, commit: str, into: Path) -> EnvironmentConfig | None:
        if commit not in self.snapshots:
            raise RuntimeError(f"not our ref {commit}")
        for path, text in self.snapshots[commit].items():
            (into / path).parent.mkdir(parents=True, exist_ok=True)
            (into / path).write_text(text)
        return self.overrides


async def test_the_source_checks_out_the_newest_cases_and_counts_the_ones_it_cannot() -> None:
    files = {"shop/orders.py": 'def total(order):\n    return order["price"] * order["qty"]\n'}
    events = [
        opened(1, "beyond-the-limit", commit="d" * 40),
        opened(2, "gone", commit="0" * 40),
        opened(3, "kept", commit="a" * 40),
        opened(4, "unreadable", commit="a" * 40, fingerprint="other", incident_data={"x": 1}),
    ]
    overrides = EnvironmentConfig(python="3.12", install=("pip install -e .",))
    source = RecordedSource(DirectoryCheckouts({"a" * 40: files}, overrides), max_cases=3)
    async with source.open(events) as prepared:
        [case] = prepared.cases
        assert case.name == "octo/shop#kept" and case.kind == "recorded"
        assert case.environment == overrides  # replayed in the environment a live heal builds
        assert (case.root / "shop/orders.py").read_text() == files["shop/orders.py"]
        assert case.incident() == incident_from_traceback(TRACEBACK)
        summary = prepared.summary()
        root = case.root
    assert summary["replayed"] == 1 and summary["skipped"] == 2  # the oldest was never tried
    assert "not our ref" in summary["skip_reasons"]["octo/shop#gone"]
    assert "does not read back" in summary["skip_reasons"]["octo/shop#unreadable"]
    assert not root.exists()  # the checkouts live only as long as the run


def test_a_repository_is_cloned_through_the_installation_its_newest_case_recorded() -> None:
    reinstalled = opened(3, "new", installation_id=12)
    old = opened(1, "old", installation_id=11)
    # Before the payload kept it, only the webhook's metadata said which installation asked.
    from_webhook = opened(2, "ci", repo="octo/depot").model_copy(
        update={"metadata": EventMetadata(installation_id=21)}
    )
    sentry_before = opened(4, "sentry", repo="octo/legacy")  # no installation anywhere
    elsewhere = later(5, EventType.HEALING_PR_OPENED, "new", repository="octo/other")

    found = recorded_installations([old, from_webhook, reinstalled, sentry_before, elsewhere])

    assert found == {"octo/shop": 12, "octo/depot": 21}
