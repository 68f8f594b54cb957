"""The unprivileged uids sandboxed code runs as when the host is root, and their cleanup."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

# Unassigned uids. RLIMIT_NPROC counts processes per real uid and root is exempt from it, so
# each concurrent sandbox runs as a uid of its own, and that uid's processes are exactly the
# sandbox's processes.
SANDBOX_UID_BASE = 70_000
SANDBOX_UID_COUNT = 4_096

_REAP_PATIENCE_SECONDS = 0.2
_REAP_DEADLINE_SECONDS = 5.0


class UidPool:
    """Hands out sandbox uids so that concurrent sandboxes never share a process budget.

    A uid is held through an flock on a file of its own, so separate server and worker
    processes on one machine never hand out the same uid at the same time either.
    """

    def __init__(
        self,
        base: int = SANDBOX_UID_BASE,
        count: int = SANDBOX_UID_COUNT,
        lock_dir: Path | None = None,
    ) -> None:
        self._base = base
        self._count = count
        self._lock_dir = lock_dir or Path(tempfile.gettempdir()) / "kintsugi-sandbox-uids"
        self._held: dict[int, int] = {}  # uid -> fd of its lock file
        self._lock = threading.Lock()
        self._next = os.getpid() % count

    def acquire(self) -> int:
        with self._lock:
            self._lock_dir.mkdir(mode=0o700, exist_ok=True)
            for step in range(self._count):
                slot = (self._next + step) % self._count
                uid = self._base + slot
                if uid in self._held:
                    continue
                fd = os.open(self._lock_dir / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                self._held[uid] = fd
                self._next = slot + 1
                return uid
        raise RuntimeError("every sandbox uid is in use")

    def release(self, uid: int) -> None:
        with self._lock:
            fd = self._held.pop(uid, None)
            if fd is not None:
                os.close(fd)  # closing drops the flock


def processes_of(uid: int) -> list[int]:
    """Pids of the live processes whose owner is `uid`."""
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found.append(int(entry))
            except FileNotFoundError:
                continue
    return found


async def reap_uid(uid: int, setpriv: str) -> None:
    """Return only once no process of `uid` is left, killing stragglers as that uid."""
    started = time.monotonic()
    last_kill = 0.0
    while processes_of(uid):
        waited = time.monotonic() - started
        if waited > _REAP_DEADLINE_SECONDS:
            log.error("sandbox processes survived their run", extra={"sandbox_uid": uid})
            return
        if waited > _REAP_PATIENCE_SECONDS and waited - last_kill > _REAP_PATIENCE_SECONDS:
            # kill(-1) as the uid itself reaches every process it owns, whichever namespace.
            await asyncio.to_thread(
                subprocess.run,
                [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "kill", "-9", "-1"],
                capture_output=True,
                check=False,
            )
            last_kill = waited
        # Usually the kernel is still tearing the pid namespace down: give it a moment.
        await asyncio.sleep(0.005)
