"""Without a working bubblewrap, untrusted code does not run: healing, functions and the worker
refuse with the reason, /readyz says it, and the opt-in fallback never runs as root nor shows
the parent's environment."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.healing.runner import SandboxCommandRunner
from app.main import create_app
from app.services import Services, open_services
from app.settings import Settings
from functions import ServerlessRuntime
from functions.sandbox import Sandbox, SandboxUnavailable
from tests.api.conftest import make_settings
from workers.arq_worker import worker_options
from workers.jobs import Router

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_bubblewrap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine where bubblewrap is not installed: nothing named bwrap on PATH."""
    bare = tmp_path / "bin"
    bare.mkdir()
    monkeypatch.setenv("PATH", str(bare))
    monkeypatch.delenv("SANDBOX_ALLOW_DEGRADED", raising=False)


def test_default_settings_refuse_untrusted_code_without_bubblewrap(no_bubblewrap: None) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.sandbox_allow_degraded is False
    with pytest.raises(SandboxUnavailable, match="bubblewrap is not installed"):
        Sandbox(allow_degraded=settings.sandbox_allow_degraded)


def test_a_bubblewrap_that_cannot_start_is_named_with_its_path() -> None:
    with pytest.raises(SandboxUnavailable, match=r"/nonexistent/bwrap"):
        Sandbox(bwrap="/nonexistent/bwrap")


async def test_a_heal_refuses_to_run_tests_without_bubblewrap(
    no_bubblewrap: None, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(SandboxUnavailable, match="SANDBOX_ALLOW_DEGRADED"):
        await SandboxCommandRunner().run(
            [sys.executable, "-c", f"open({str(marker)!r}, 'w')"],
            workdir=tmp_path,
            timeout_seconds=10,
        )
    assert not marker.exists()


async def test_a_function_is_refused_with_the_reason(no_bubblewrap: None, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / ".github" / "functions").mkdir(parents=True)
    (checkout / ".github" / "kintsugi.yml").write_text(
        "functions:\n  hello:\n    file: .github/functions/hello.py\n"
    )
    marker = tmp_path / "ran"
    (checkout / ".github" / "functions" / "hello.py").write_text(
        f"def handle(event, context):\n    open({str(marker)!r}, 'w')\n    return {{}}\n"
    )
    runtime = ServerlessRuntime(keep_warm=0)
    runtime.load_repository(checkout, "octo/hello")
    response = await runtime.invoke("hello", {}, repository="octo/hello")
    assert response.status_code == 500
    assert response.error is not None and "bubblewrap" in response.error
    assert not marker.exists()


@pytest.fixture
async def services_without_bubblewrap(
    no_bubblewrap: None, tmp_path: Path
) -> AsyncIterator[Services]:
    settings = make_settings(f"sqlite:///{tmp_path / 'kintsugi.db'}")
    opened = await open_services(settings, router=Router())
    yield opened
    await opened.close()


async def test_readyz_is_not_ready_and_says_why(services_without_bubblewrap: Services) -> None:
    services = services_without_bubblewrap
    app = create_app(services.settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kintsugi.test") as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not ready"
    assert body["database"] == body["queue"] == "ok"
    assert body["sandbox"].startswith("unavailable: bubblewrap is not installed")
    assert "apt-get install bubblewrap" in body["sandbox"]


async def test_a_worker_with_an_app_refuses_to_start_without_bubblewrap(
    no_bubblewrap: None, app_key: tuple[str, str], tmp_path: Path
) -> None:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'kintsugi.db'}",
        redis_url="redis://127.0.0.1:6379/0",
        github_app_id=1,
        github_app_private_key=app_key[0],
    )
    startup = worker_options(settings)["on_startup"]
    ctx: dict[str, object] = {}
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        await startup(ctx)
    assert "event_job" not in ctx


def test_the_degraded_fallback_is_refused_as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with pytest.raises(SandboxUnavailable, match="refused as root"):
        Sandbox(allow_degraded=True, bwrap="/nonexistent/bwrap")


# Run as an unprivileged user: the degraded fallback with a secret in its own environment,
# and a command that tries to read it through /proc/<ppid>/environ.
DEGRADED_RUN = textwrap.dedent(
    """\
    import asyncio, json, sys, tempfile
    from pathlib import Path
    from functions.sandbox import Sandbox, SandboxLimits

    CODE = '''
    import os
    try:
        seen = open(f"/proc/{os.getppid()}/environ", "rb").read().decode("utf-8", "replace")
    except OSError as error:
        seen = f"refused: {error.strerror}"
    print(seen)
    print(sorted(os.environ))
    '''

    async def main():
        box = Sandbox(allow_degraded=True, bwrap="/nonexistent/bwrap")
        work = Path(tempfile.mkdtemp())
        result = await box.run([sys.argv[1], "-c", CODE], workdir=work,
                               limits=SandboxLimits(wall_seconds=30))
        print(json.dumps({"mode": box.mode, "stdout": result.stdout, "stderr": result.stderr}))

    asyncio.run(main())
    """
)


def unprivileged(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    assert setpriv is not None, "setpriv (util-linux) is needed to drop to an unprivileged uid"
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *argv]


def command_python() -> str:
    """An interpreter the unprivileged user may start (this one may live in root's home)."""
    system = Path("/usr/bin/python3")
    return str(system) if system.exists() and os.geteuid() == 0 else sys.executable


def test_degraded_mode_never_shows_the_parents_environment(tmp_path: Path) -> None:
    secret = "llm-key-that-must-stay-home"
    env = {
        "PATH": os.defpath,
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "LLM_API_KEY": secret,
        "GITHUB_APP_PRIVATE_KEY": secret,
    }
    os.chmod(tmp_path, 0o777)
    done = subprocess.run(
        unprivileged([sys.executable, "-c", DEGRADED_RUN, command_python()]),
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.splitlines()[-1])
    assert outcome["mode"] == "degraded"
    assert secret not in outcome["stdout"]
    assert "LLM_API_KEY" not in outcome["stdout"]
    assert outcome["stdout"].startswith("refused: Permission denied"), outcome
