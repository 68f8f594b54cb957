"""What a sandboxed run reports, and how the sandbox picks and announces its mode."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from app.errors import ConfigurationError
from app.settings import Settings
from functions.sandbox import Sandbox, SandboxLimits, SandboxUnavailable
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


def test_without_bubblewrap_the_sandbox_refuses_and_says_how_to_fix_it() -> None:
    with pytest.raises(SandboxUnavailable) as refused:
        Sandbox(bwrap="/nonexistent/bwrap")
    message = str(refused.value)
    assert "bubblewrap" in message
    assert "apt-get install bubblewrap" in message
    assert "SANDBOX_ALLOW_DEGRADED" in message
    assert isinstance(refused.value, ConfigurationError)


def test_the_degraded_fallback_is_off_unless_a_setting_allows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SANDBOX_ALLOW_DEGRADED", raising=False)
    assert Settings(_env_file=None).sandbox_allow_degraded is False  # type: ignore[call-arg]


async def test_an_unprivileged_command_reads_the_system_configuration(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # /etc is made before the files bound inside it, so a dropped uid may enter it (pip and
    # getaddrinfo read nsswitch.conf).
    code = (
        "import os\nprint(os.geteuid())\nprint(sorted(os.listdir('/etc')))\n"
        "print(open('/etc/nsswitch.conf').read().count('passwd'))"
    )
    result = await sandbox.run([sys.executable, "-c", code], workdir=tmp_path, limits=LIMITS)
    assert result.outcome == "ok", result.stderr
    uid, listing, mentions = result.stdout.splitlines()
    if os.geteuid() == 0:
        assert int(uid) != 0
    assert "nsswitch.conf" in listing
    assert int(mentions) >= 1


async def test_the_work_directory_comes_back_with_what_the_run_left(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "kept.txt").write_text("kept")
    (tmp_path / "removed.txt").write_text("removed")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\n")
    code = (
        "import os\n"
        "os.remove('removed.txt')\n"
        "open('pkg/mod.py', 'w').write('x = 2\\n')\n"
        "os.makedirs('new/deep')\n"
        "open('new/deep/report.xml', 'w').write('<r/>')\n"
        "os.symlink('/etc/hostname', 'link')\n"
    )
    result = await sandbox.run([sys.executable, "-c", code], workdir=tmp_path, limits=LIMITS)
    assert result.outcome == "ok", result.stderr
    assert sorted(os.listdir(tmp_path)) == ["kept.txt", "link", "new", "pkg"]
    assert (tmp_path / "kept.txt").read_text() == "kept"
    assert (tmp_path / "pkg" / "mod.py").read_text() == "x = 2\n"
    assert (tmp_path / "new" / "deep" / "report.xml").read_text() == "<r/>"
    # A link comes back as a link, never as the host file it names.
    assert os.readlink(tmp_path / "link") == "/etc/hostname"


async def test_a_run_stopped_by_its_wall_clock_leaves_the_work_directory_as_it_was(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    (tmp_path / "input.txt").write_text("original")
    code = "open('input.txt', 'w').write('changed')\nopen('new.txt', 'w')\nwhile 1: pass"
    limits = SandboxLimits(cpu_seconds=10, wall_seconds=1)
    result = await sandbox.run([sys.executable, "-c", code], workdir=tmp_path, limits=limits)
    assert result.outcome == "timeout"
    assert os.listdir(tmp_path) == ["input.txt"]
    assert (tmp_path / "input.txt").read_text() == "original"


async def test_a_run_that_fills_its_work_directory_is_stopped_as_disk(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Each file is just under the per-file limit; only the whole-run bound stops them.
    limits = SandboxLimits(cpu_seconds=20, wall_seconds=20, max_file_mb=8, disk_mb=32)
    code = (
        "import itertools\n"
        "for n in itertools.count():\n"
        "    try:\n"
        "        open(f'f{n}', 'wb').write(b'x' * (8 * 1024 * 1024 - 1))\n"
        "    except OSError:\n"
        "        pass\n"
    )
    result = await sandbox.run([sys.executable, "-c", code], workdir=tmp_path, limits=limits)
    assert result.outcome == "disk"
    assert "32 MB work directory" in result.stderr
    assert result.wall_seconds < 10
    assert tree_bytes(tmp_path) <= 32 * 1024 * 1024


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


def tree_bytes(root: Path) -> int:
    return sum(path.lstat().st_size for path in root.rglob("*"))


async def test_a_sandbox_that_cannot_be_set_up_says_what_bubblewrap_said(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-environment"
    result = await sandbox.run(
        [sys.executable, "-c", "pass"], workdir=tmp_path, limits=LIMITS, readonly_binds=[missing]
    )
    assert (result.exit_code, result.outcome) == (None, "error")
    assert "did not start" in result.stderr
    assert str(missing) in result.stderr
