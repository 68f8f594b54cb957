"""Every sandbox boundary, proven by a real attempt to cross it from inside."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from functions.sandbox import Sandbox, SandboxLimits
from functions.sandbox_users import SANDBOX_UID_BASE, SANDBOX_UID_COUNT

pytestmark = pytest.mark.sandbox

FAST = SandboxLimits(cpu_seconds=3, wall_seconds=5, memory_mb=256, max_processes=32)


# Every command carries this token in its command line, and so does every process it forks,
# which tells this test run's processes from other sandboxes running on the same machine.
RUN_MARKER = f"escape-test-{uuid.uuid4().hex}"


def _code(source: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(source) + f"\n# {RUN_MARKER}\n"]


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    path = tmp_path / "work"
    path.mkdir()
    return path


def assert_host_unharmed() -> None:
    assert subprocess.run(["true"], check=False).returncode == 0
    # On a loaded machine the kernel may still be tearing a killed pid namespace down when the
    # run returns; what must never happen is a process of the run that keeps living.
    deadline = time.monotonic() + 10
    while (leftovers := _leftovers()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert leftovers == [], "sandboxed processes outlived their run"


def _leftovers() -> list[str]:
    sandbox_uids = range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + SANDBOX_UID_COUNT)
    return [
        pid
        for pid in os.listdir("/proc")
        if pid.isdigit() and _uid_of(pid) in sandbox_uids and RUN_MARKER in _cmdline(pid)
    ]


def _cmdline(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _exists(path: str) -> bool:
    return os.path.exists(path)


def _read(path: Path) -> str:
    return path.read_text()


def _uid_of(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except FileNotFoundError:
        return None


async def test_secret_file_outside_the_workdir_cannot_be_read(
    sandbox: Sandbox, tmp_path: Path, workdir: Path
) -> None:
    secret = tmp_path / "installation-token.txt"
    secret.write_text("ghs_planted_secret_value")
    result = await sandbox.run(
        _code(
            f"""
            for path in [{str(secret)!r}, "/proc/{os.getpid()}/environ", "/etc/shadow",
                         "/root/.bash_history"]:
                try:
                    print(open(path).read())
                except OSError as error:
                    print("blocked", path, type(error).__name__)
            """
        ),
        workdir=workdir,
        limits=FAST,
    )
    assert result.outcome == "ok", result.stderr
    assert "ghs_planted_secret_value" not in result.stdout
    assert result.stdout.count("blocked") == 4
    assert_host_unharmed()


async def test_server_environment_is_invisible(
    sandbox: Sandbox, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {
        "GITHUB_APP_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----fake-app-key",
        "GITHUB_WEBHOOK_SECRET": "fake-webhook-secret-4815",
        "LLM_API_KEY": "sk-fake-llm-key-1623",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    result = await sandbox.run(
        _code(
            """
            import os
            print(dict(os.environ))
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        print(open(f"/proc/{pid}/environ", "rb").read())
                    except OSError:
                        pass
            """
        ),
        workdir=workdir,
        limits=FAST,
    )
    assert result.outcome == "ok", result.stderr
    assert "HOME" in result.stdout
    for name, value in secrets.items():
        assert name not in result.stdout
        assert value not in result.stdout


async def test_secrets_cannot_be_passed_in_by_mistake(sandbox: Sandbox, workdir: Path) -> None:
    with pytest.raises(ValueError, match="LLM_API_KEY"):
        await sandbox.run(["true"], workdir=workdir, env={"LLM_API_KEY": "sk-nope"})


async def test_loopback_listener_is_unreachable(sandbox: Sandbox, workdir: Path) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        result = await sandbox.run(
            _code(
                f"""
                import socket
                try:
                    socket.create_connection(("127.0.0.1", {port}), timeout=2)
                    print("connected")
                except OSError as error:
                    print("blocked", type(error).__name__)
                try:
                    socket.getaddrinfo("github.com", 443)
                    print("resolved")
                except OSError:
                    print("no dns")
                """
            ),
            workdir=workdir,
            limits=FAST,
        )
        assert result.outcome == "ok", result.stderr
        assert "blocked" in result.stdout and "connected" not in result.stdout
        assert "no dns" in result.stdout
        with pytest.raises(BlockingIOError):
            listener.accept()


async def test_writes_outside_the_workdir_fail(
    sandbox: Sandbox, tmp_path: Path, workdir: Path
) -> None:
    outside = tmp_path / "outside.txt"
    targets = [str(outside), "/usr/planted", "/etc/planted", str(Path(sys.prefix) / "planted")]
    result = await sandbox.run(
        _code(
            f"""
            for path in {targets!r}:
                try:
                    open(path, "w").write("x")
                    print("wrote", path)
                except OSError as error:
                    print("blocked", path, type(error).__name__)
            open("inside.txt", "w").write("mine")
            open("/tmp/scratch.txt", "w").write("private")
            """
        ),
        workdir=workdir,
        limits=FAST,
    )
    assert result.outcome == "ok", result.stderr
    assert "wrote" not in result.stdout
    assert not any(_exists(target) for target in [*targets, "/tmp/scratch.txt"])
    inside = workdir / "inside.txt"
    assert _read(inside) == "mine"
    # Handed back to the host's owner once the run is over.
    assert os.stat(inside).st_uid == os.getuid()


async def test_fork_count_stops_at_the_process_limit(sandbox: Sandbox, workdir: Path) -> None:
    result = await sandbox.run(
        _code(
            """
            import os, time
            children = 0
            try:
                while children < 10_000:
                    if os.fork() == 0:
                        time.sleep(30)
                        os._exit(0)
                    children += 1
            except OSError as error:
                print("refused after", children, error.errno)
            """
        ),
        workdir=workdir,
        limits=FAST,
    )
    assert "refused after" in result.stdout, result.stderr
    children = int(result.stdout.split()[2])
    assert 0 < children < FAST.max_processes
    # The sleeping children died with the sandbox instead of outliving the run.
    assert result.wall_seconds < 3
    assert_host_unharmed()


async def test_fork_bomb_is_bounded_and_host_survives(sandbox: Sandbox, workdir: Path) -> None:
    limits = SandboxLimits(cpu_seconds=3, wall_seconds=3, memory_mb=256, max_processes=32)
    result = await sandbox.run(
        _code(
            """
            import os
            while True:
                try:
                    os.fork()
                except OSError:
                    pass
            """
        ),
        workdir=workdir,
        limits=limits,
    )
    assert result.outcome == "timeout"
    assert result.wall_seconds < limits.wall_seconds + 2
    assert_host_unharmed()


async def test_memory_hog_is_stopped_at_the_memory_limit(sandbox: Sandbox, workdir: Path) -> None:
    result = await sandbox.run(
        _code(
            """
            chunks = []
            while True:
                chunks.append(bytearray(16 * 1024 * 1024))
            """
        ),
        workdir=workdir,
        limits=FAST,
    )
    assert result.outcome == "memory"
    assert 16 < result.peak_memory_mb <= FAST.memory_mb
    assert_host_unharmed()


async def test_infinite_loop_is_stopped_at_the_cpu_limit(sandbox: Sandbox, workdir: Path) -> None:
    limits = SandboxLimits(cpu_seconds=1, wall_seconds=10)
    result = await sandbox.run(_code("while True: pass"), workdir=workdir, limits=limits)
    assert result.outcome == "timeout"
    # The CPU limit stopped it, not the wall clock: a busy machine stretches the wall time, and
    # the kernel's accounting can land a tick under the limit.
    assert 0.8 <= result.cpu_seconds < 3
    assert result.wall_seconds < limits.wall_seconds


async def test_sleeper_is_stopped_at_the_wall_clock(sandbox: Sandbox, workdir: Path) -> None:
    limits = SandboxLimits(cpu_seconds=10, wall_seconds=1)
    result = await sandbox.run(_code("import time; time.sleep(60)"), workdir=workdir, limits=limits)
    assert result.outcome == "timeout"
    assert 1 <= result.wall_seconds < 3
    assert_host_unharmed()


async def test_output_flood_is_truncated_with_a_marker(sandbox: Sandbox, workdir: Path) -> None:
    limits = SandboxLimits(cpu_seconds=2, wall_seconds=4, max_output_bytes=10_000)
    result = await sandbox.run(
        _code(
            """
            import sys
            for _ in range(20_000):
                sys.stdout.write("flood" * 200 + "\\n")
            """
        ),
        workdir=workdir,
        limits=limits,
    )
    assert result.outcome == "ok", result.stderr
    assert result.truncated
    assert "output truncated" in result.stdout
    assert len(result.stdout) < limits.max_output_bytes + 200
