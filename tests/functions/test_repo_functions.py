"""Functions a repository declares: run only in sandboxed workers, warm after the first call."""

from __future__ import annotations

import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from functions import Sandbox, ServerlessRuntime

pytestmark = pytest.mark.sandbox

CONFIG = """\
functions:
  triage:
    file: .github/functions/triage.py
    on: [issues.opened]
  counter:
    file: .github/functions/triage.py
    handler: count
  spy:
    file: .github/functions/triage.py
    handler: spy
  slow:
    file: .github/functions/triage.py
    handler: slow
    timeout: 0.5
  crash:
    file: .github/functions/triage.py
    handler: crash
  huge:
    file: .github/functions/triage.py
    handler: huge
  broken:
    file: .github/functions/triage.py
    memory_mb: 1
"""

HANDLERS = """\
import os, time

CALLS = []

def handle(event, context):
    context.logger.info("triaging %s", event["issue"]["title"])
    print("a print goes to the logs, not the protocol")
    labels = ["bug"] if "crash" in event["issue"]["title"] else []
    return {"labels": labels, "function": context.function_name,
            "repository": context.repository, "actions": {"labels": labels}}

def count(event, context):
    CALLS.append(1)
    return {"calls": len(CALLS)}

def spy(event, context):
    names = sorted(os.environ)
    secret = [n for n in names if "SECRET" in n or "KEY" in n or "TOKEN" in n]
    try:
        with open(event["target"], "w") as planted:
            planted.write("planted")
        wrote = True
    except OSError:
        wrote = False
    return {"secret_names": secret, "wrote_checkout": wrote, "uid": os.getuid()}

def slow(event, context):
    time.sleep(30)

def crash(event, context):
    os._exit(9)

def huge(event, context):
    return {"blob": "x" * 2_000_000}
"""


def _exists(path: Path) -> bool:
    return path.exists()


def make_repo(root: Path, name: str) -> Path:
    checkout = root / name
    (checkout / ".github" / "functions").mkdir(parents=True)
    (checkout / ".github" / "kintsugi.yml").write_text(CONFIG)
    (checkout / ".github" / "functions" / "triage.py").write_text(textwrap.dedent(HANDLERS))
    return checkout


@pytest.fixture
async def runtime(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[ServerlessRuntime]:
    runtime = ServerlessRuntime(sandbox=sandbox)
    loaded = runtime.load_repository(make_repo(tmp_path, "octo"), "octo/repo")
    assert [problem.key for problem in loaded.problems] == ["functions.broken.memory_mb"]
    yield runtime
    await runtime.close()


async def test_declared_function_runs_cold_then_warm(runtime: ServerlessRuntime) -> None:
    event = {"issue": {"title": "crash on start"}}
    first = await runtime.invoke("triage", event=event, repository="octo/repo")
    second = await runtime.invoke("triage", event=event, repository="octo/repo")
    assert first.status_code == 200, first.error
    assert first.body["labels"] == ["bug"]
    assert first.body["repository"] == "octo/repo"
    assert first.actions is not None and first.actions.labels == ("bug",)
    assert "INFO triaging crash on start" in first.logs
    assert "a print goes to the logs, not the protocol" in first.logs
    assert (first.start, second.start) == ("cold", "warm")
    assert second.execution_time_ms < first.execution_time_ms
    assert runtime.get_stats("triage", "octo/repo").warm == 1


async def test_function_sees_no_secrets_and_cannot_change_the_checkout(
    runtime: ServerlessRuntime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY", "fake-key")
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "fake-secret")
    target = tmp_path / "octo" / ".github" / "functions" / "planted.txt"
    response = await runtime.invoke("spy", event={"target": str(target)}, repository="octo/repo")
    assert response.status_code == 200, response.error
    assert response.body["secret_names"] == []
    assert response.body["wrote_checkout"] is False
    assert not _exists(target)
    assert response.body["uid"] != 0


async def test_timeout_is_408_and_the_worker_is_replaced(runtime: ServerlessRuntime) -> None:
    timed_out = await runtime.invoke("slow", event={}, repository="octo/repo")
    assert timed_out.status_code == 408
    assert timed_out.execution_time_ms < 3_000
    after = await runtime.invoke("counter", event={}, repository="octo/repo")
    assert after.status_code == 200
    assert after.start == "cold"  # the timed-out worker was killed, not reused


async def test_crash_is_500_and_too_large_is_413(runtime: ServerlessRuntime) -> None:
    crashed = await runtime.invoke("crash", event={}, repository="octo/repo")
    assert crashed.status_code == 500
    assert "died" in (crashed.error or "")
    huge = await runtime.invoke("huge", event={}, repository="octo/repo")
    assert huge.status_code == 413


async def test_unknown_function_of_a_repository_is_404(runtime: ServerlessRuntime) -> None:
    assert (await runtime.invoke("triage", event={}, repository="other/repo")).status_code == 404
    assert (await runtime.invoke("broken", event={}, repository="octo/repo")).status_code == 404


async def test_warm_state_never_crosses_repositories(
    runtime: ServerlessRuntime, tmp_path: Path
) -> None:
    runtime.load_repository(make_repo(tmp_path, "other"), "other/repo")
    first = await runtime.invoke("counter", event={}, repository="octo/repo")
    again = await runtime.invoke("counter", event={}, repository="octo/repo")
    elsewhere = await runtime.invoke("counter", event={}, repository="other/repo")
    # Module state persists in one repository's warm worker, never in another repository's.
    assert (first.body, again.body, elsewhere.body) == ({"calls": 1}, {"calls": 2}, {"calls": 1})
    assert elsewhere.start == "cold"


async def test_prewarmed_worker_serves_the_first_call_warm(runtime: ServerlessRuntime) -> None:
    await runtime.prewarm("triage", "octo/repo")
    response = await runtime.invoke(
        "triage", event={"issue": {"title": "typo"}}, repository="octo/repo"
    )
    assert response.start == "warm"
    assert response.body["labels"] == []
