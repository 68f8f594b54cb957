"""A representative subset of the bench corpus, healed end to end from its stored inputs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.healing.candidate_search import Budget
from app.healing.engine import build_healer, heal_repository
from app.healing.incidents import incident_from_sentry, incident_from_traceback
from app.healing.runner import SandboxCommandRunner
from tests.healing.conftest import KINTSUGI_TESTS

pytestmark = pytest.mark.sandbox

CRASHES = Path(__file__).resolve().parents[2] / "bench" / "corpus" / "crashes"


def test_every_crash_case_follows_the_agreed_format() -> None:
    cases = sorted(path.parent for path in CRASHES.glob("*/case.json"))

    assert len(cases) >= 12
    for case in cases:
        spec = json.loads((case / "case.json").read_text())
        assert spec["kind"] == "crash" and spec["description"]
        assert spec["test_command"] == "python -m pytest -q"
        assert "Traceback (most recent call last):" in (case / spec["traceback"]).read_text()
        event = json.loads((case / spec["sentry_event"]).read_text())
        assert event["exception"]["values"][-1]["stacktrace"]["frames"]


@pytest.mark.parametrize(
    ("case", "source", "expected"),
    [
        ("unbound_global", "sentry", "    global misses\n"),
        ("moved_import", "traceback", "collections.abc.Mapping"),
        ("str_concat", "sentry", '"processed " + str(done)'),
        ("none_iterable", "sentry", "(tags or [])"),
    ],
)
async def test_corpus_crash_is_fixed(case: str, source: str, expected: str, tmp_path: Path) -> None:
    repo = shutil.copytree(
        CRASHES / case, tmp_path / case, ignore=shutil.ignore_patterns("__pycache__")
    )
    spec = json.loads((repo / "case.json").read_text())
    if source == "sentry":
        incident = incident_from_sentry((repo / spec["sentry_event"]).read_text())
    else:
        incident = incident_from_traceback((repo / spec["traceback"]).read_text())
    healer = build_healer(runner=SandboxCommandRunner(), budget=Budget(seconds=60))

    result = await heal_repository(healer, repo, incident, tests=KINTSUGI_TESTS)

    assert result.fix is not None
    assert expected in next(iter(result.fix.changes.values()))
    assert result.reproduced is (source == "sentry")
