"""Whether bubblewrap can sandbox the interpreter here, and the refusals when it cannot."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from app.errors import ConfigurationError
from functions.sandbox_command import bubblewrap_argv, sandbox_env

_MB = 1024 * 1024

INSTALL_BUBBLEWRAP = (
    "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install "
    "bubblewrap`; in a container, allow user namespaces: see docker-compose.yml)"
)


class SandboxUnavailable(ConfigurationError):
    """Untrusted code cannot run here: bubblewrap does not work and no fallback is allowed."""


def bubblewrap_problem(
    bwrap: str | None,
    python: str,
    roots: Sequence[Path],
    drop_to: Callable[[], contextlib.AbstractContextManager[tuple[str, int] | None]],
) -> str | None:
    """Why bubblewrap cannot start `python` in a sandbox here, or None when it can."""
    if bwrap is None:
        return "bubblewrap is not installed (no `bwrap` on PATH)"
    with tempfile.TemporaryDirectory(prefix="kintsugi-probe-") as probe, drop_to() as dropped:
        workdir = Path(probe)
        command = bubblewrap_argv(
            bwrap,
            [python, "-c", "pass"],
            workdir=workdir,
            env=sandbox_env(workdir, python, None),
            readonly=roots,
            tmp_bytes=_MB,
            disk_bytes=_MB,
            drop_to=dropped,
        )
        try:
            done = subprocess.run(command, capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap ({bwrap}) cannot be started: {error}"
    if done.returncode != 0:
        said = done.stderr[-500:].decode(errors="replace").strip() or "no message"
        code = done.returncode
        return f"bubblewrap ({bwrap}) cannot create a sandbox here (exit code {code}: {said})"
    return None


def refuse_degraded(problem: str, allow_degraded: bool) -> None:
    """Raise `SandboxUnavailable` unless the degraded fallback is allowed and safe here; when
    it is, hide this process's environment from the commands it will run."""
    if not allow_degraded:
        raise SandboxUnavailable(
            f"{problem}. Untrusted code (a repository's tests, builds and functions) runs only "
            f"inside bubblewrap: {INSTALL_BUBBLEWRAP}. For local development only, "
            "SANDBOX_ALLOW_DEGRADED=true allows a fallback that isolates no files."
        )
    if os.geteuid() == 0:
        raise SandboxUnavailable(
            f"{problem}, and SANDBOX_ALLOW_DEGRADED=true is refused as root: the degraded "
            "fallback isolates no files, so untrusted code would run as root on the host. "
            f"{INSTALL_BUBBLEWRAP[0].upper()}{INSTALL_BUBBLEWRAP[1:]}, or run Kintsugi as an "
            "unprivileged user for local development."
        )
    _undumpable()


def _undumpable() -> None:
    # A degraded command runs as this process's uid: it must not read this process's
    # environment (the secrets) through /proc/<ppid>/environ, nor trace it.
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE, 0
        raise SandboxUnavailable(
            "the degraded sandbox could not hide this process's environment from the "
            f"commands it runs (prctl: {os.strerror(ctypes.get_errno())})"
        )
