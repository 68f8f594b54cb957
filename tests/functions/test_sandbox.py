"""What a sandboxed run reports, and how the sandbox picks and announces its mode."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import pytest

from app.errors import ConfigurationError
from app.settings import Settings
from functions.sandbox import Sandbox, SandboxLimits
from functions.sandbox_users import UidPool

pytestmark = pytest.mark.sandbox

LIMITS = SandboxLimits(cpu_seconds=3, wall_seconds=5, memory_mb=256)


async def test_run_reports_exit_code_output_and_usage(sandbox: Sandbox, tmp_path: Path) -> None:
    result = await sandbox.run(
        [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr); exit(3)"],
        workdir=tmp_path,
        limits=LIMITS,
    )
    assert (result.exit_code, result.outcome) == (3, "error")
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"
    assert not result.truncated
    assert result.peak_memory_mb > 1
    assert 0 < result.cpu_seconds < 2
    assert 0 < result.wall_seconds < 3


async def test_stdin_env_and_home_reach_the_command(sandbox: Sandbox, tmp_path: Path) -> None:
    result = await sandbox.run(
        [
            sys.executable,
            "-c",
            "import os, sys; print(sys.stdin.read(), os.environ['MODE'], "
            "os.environ['HOME'], os.getcwd())",
        ],
        workdir=tmp_path,
        limits=LIMITS,
        env={"MODE": "check"},
        stdin=b"payload",
    )
    assert result.outcome == "ok", result.stderr
    assert result.stdout.split() == ["payload", "check", str(tmp_path), str(tmp_path)]


async def test_readonly_binds_are_visible_but_not_writable(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    shared = tmp_path / "deps"
    shared.mkdir()
    (shared / "dep.txt").write_text("dependency")
    work = tmp_path / "work"
    work.mkdir()
    code = (
        f"print(open({str(shared / 'dep.txt')!r}).read())\n"
        f"try:\n    open({str(shared / 'new.txt')!r}, 'w')\nexcept OSError:\n    print('ro')"
    )
    result = await sandbox.run(
        [sys.executable, "-c", code], workdir=work, limits=LIMITS, readonly_binds=[shared]
    )
    assert result.stdout.split() == ["dependency", "ro"]
    assert not (shared / "new.txt").exists()


async def test_file_size_limit_stops_a_disk_filler(sandbox: Sandbox, tmp_path: Path) -> None:
    limits = SandboxLimits(cpu_seconds=3, wall_seconds=5, max_file_mb=1)
    code = "open('big', 'wb').write(b'x' * 4 * 1024 * 1024)"
    result = await sandbox.run([sys.executable, "-c", code], workdir=tmp_path, limits=limits)
    assert result.outcome != "ok"
    assert (tmp_path / "big").stat().st_size <= 1024 * 1024


async def test_missing_command_is_an_error_not_a_crash(sandbox: Sandbox, tmp_path: Path) -> None:
    result = await sandbox.run(["no-such-command-here"], workdir=tmp_path, limits=LIMITS)
    assert result.outcome == "error"
    assert result.exit_code not in (0, None)


def test_without_bubblewrap_the_sandbox_degrades_loudly(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with caplog.at_level(logging.WARNING, logger="functions.sandbox"):
        box = Sandbox(allow_degraded=True)
    assert box.mode == "degraded"
    assert "sandbox degraded" in caplog.text


def test_a_setting_forbids_the_degraded_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("SANDBOX_ALLOW_DEGRADED", "false")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="bubblewrap"):
        Sandbox(allow_degraded=settings.sandbox_allow_degraded)


async def test_degraded_run_still_clears_environment_and_limits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "fake-degraded-secret")
    box = Sandbox(allow_degraded=True)
    monkeypatch.setenv("PATH", os.defpath)
    result = await box.run(
        [sys.executable, "-c", "import os; print(sorted(os.environ))\nwhile 1: pass"],
        workdir=tmp_path,
        limits=SandboxLimits(cpu_seconds=1, wall_seconds=5),
    )
    assert "GITHUB_WEBHOOK_SECRET" not in result.stdout
    assert "fake-degraded-secret" not in result.stdout
    assert result.outcome == "timeout"


def test_uids_are_never_shared_even_between_separate_pools(tmp_path: Path) -> None:
    # Two pools stand for two server or worker processes sharing one machine.
    first = UidPool(base=90_000, count=2, lock_dir=tmp_path)
    second = UidPool(base=90_000, count=2, lock_dir=tmp_path)
    held = {first.acquire(), second.acquire()}
    assert held == {90_000, 90_001}
    with pytest.raises(RuntimeError, match="in use"):
        second.acquire()
    first.release(90_000 if 90_000 in first._held else 90_001)
    assert second.acquire() in held
