"""How a sandboxed command line is built: bubblewrap mounts, the cleared environment, rlimits."""

from __future__ import annotations

import os
import resource
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SANDBOX_USER = "sandbox"

# The settings' secrets: callers must never hand them to untrusted code, even by mistake.
FORBIDDEN_ENV = frozenset(
    {
        "GITHUB_APP_PRIVATE_KEY",
        "GITHUB_WEBHOOK_SECRET",
        "SENTRY_WEBHOOK_SECRET",
        "LLM_API_KEY",
        "GITHUB_TOKEN",
        "DATABASE_URL",
        "REDIS_URL",
    }
)

_SYSTEM_DIRS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_ENTRIES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/nsswitch.conf",
)


@dataclass(frozen=True)
class RlimitSpec:
    """The resource limits applied to the sandboxed process tree before it starts."""

    cpu_seconds: float
    memory_bytes: int
    max_processes: int
    max_file_bytes: int
    max_open_files: int

    def apply(self) -> None:
        """Set the limits on the calling process; runs in the child between fork and exec."""
        cpu = max(1, int(self.cpu_seconds + 0.999))
        # The soft limit sends SIGXCPU; the hard one a second later is SIGKILL for those
        # that ignore it.
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (self.memory_bytes, self.memory_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (self.max_processes, self.max_processes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.max_file_bytes, self.max_file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.max_open_files, self.max_open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def sandbox_env(workdir: Path, python: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    """The whole environment sandboxed code sees: an allowlist, never the host's variables."""
    env = {
        "PATH": f"{Path(python).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "USER": SANDBOX_USER,
        "LOGNAME": SANDBOX_USER,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONUNBUFFERED": "1",
    }
    for key, value in (extra or {}).items():
        if key.upper() in FORBIDDEN_ENV:
            raise ValueError(f"{key} is a Kintsugi secret and must not enter the sandbox")
        env[key] = value
    return env


def interpreter_roots(python: str) -> list[Path]:
    """Directories the interpreter needs to start: its venv and the base installation."""
    candidates: list[Path] = []
    if Path(python).absolute() == Path(sys.executable).absolute():
        candidates += [Path(sys.prefix), Path(sys.base_prefix)]
    executable = Path(python).absolute()
    candidates += [executable.parent.parent, Path(os.path.realpath(executable)).parent.parent]
    roots: list[Path] = []
    for candidate in candidates:
        for path in (candidate.absolute(), Path(os.path.realpath(candidate))):
            if path == Path("/") or _is_within(path, Path("/usr")):
                continue  # the system directories are bound already
            if _is_dir(path) and path not in roots:
                roots.append(path)
    return roots


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except PermissionError:
        return False  # not ours to bind, and not needed: the interpreter started without it


def _is_within(path: Path, parent: Path) -> bool:
    return path == parent or parent in path.parents


def _system_mounts() -> Iterator[str]:
    yield from ("--ro-bind", "/usr", "/usr")
    for name in _SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():
            yield from ("--symlink", os.readlink(path), name)
        elif path.is_dir():
            yield from ("--ro-bind", name, name)
    # Made before anything is bound inside it: a parent bwrap creates itself is mode 0700,
    # which a dropped uid cannot enter.
    yield from ("--perms", "0755", "--dir", "/etc")
    for name in _ETC_ENTRIES:
        if os.path.lexists(name):
            yield from ("--ro-bind-try", name, name)


def bubblewrap_argv(
    bwrap: str,
    argv: Sequence[str],
    *,
    workdir: Path,
    env: Mapping[str, str],
    readonly: Sequence[Path],
    tmp_bytes: int,
    disk_bytes: int,
    drop_to: tuple[str, int] | None,
    info_fd: int | None = None,
) -> list[str]:
    """The bwrap command line; `drop_to` is (setpriv path, uid) when the host runs as root.

    `workdir` is not the host folder but a tmpfs of `disk_bytes` at its path, which the caller
    fills and empties (functions.sandbox_stage); `info_fd` receives bwrap's JSON naming the
    sandbox's init pid."""
    command = [
        bwrap,
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
    ]
    if os.geteuid() != 0:
        command.append("--unshare-user")
    if info_fd is not None:
        command += ["--info-fd", str(info_fd)]
    command += _system_mounts()
    command += ["--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp"]
    # Host directories bound at their own path: everything beneath them exists already.
    bound: list[Path] = [Path("/usr")]
    created: set[Path] = {Path("/"), Path("/tmp")}
    command += _parent_dirs(workdir, bound, created)
    command += ["--perms", "0700", "--size", str(disk_bytes), "--tmpfs", str(workdir)]
    bound.append(workdir)
    for path in readonly:
        command += _parent_dirs(path, bound, created)
        command += ["--ro-bind", str(path), str(path)]
        bound.append(path)
    command += ["--proc", "/proc", "--dev", "/dev", "--chdir", str(workdir), "--clearenv"]
    for key, value in env.items():
        command += ["--setenv", key, value]
    if drop_to is not None:
        setpriv, uid = drop_to
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--"]
        command += [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        command += ["--inh-caps=-all", "--bounding-set=-all"]
    command.append("--")
    command += argv
    return command


def _parent_dirs(path: Path, bound: list[Path], created: set[Path]) -> list[str]:
    # bwrap creates missing parents with mode 0700, which a dropped uid cannot traverse, so
    # each parent that is not part of a bound host directory is made explicitly with 0755.
    flags: list[str] = []
    for parent in reversed(path.parents):
        if parent in created or any(_is_within(parent, b) for b in bound):
            continue
        flags += ["--perms", "0755", "--dir", str(parent)]
        created.add(parent)
    return flags
