"""A run's work directory inside bubblewrap: a size-bounded tmpfs, filled from the host folder
before the command starts and copied back once it has ended.

The host reaches the tmpfs through /proc/<sandbox init>/root, walking every component with
O_NOFOLLOW while only the (waiting) reaper runs in the sandbox, and keeps the folder open: what
the command later renames or links cannot redirect the host. Nothing the command writes reaches
the host's disk beyond the bound, since the copy back is bounded by the tmpfs it reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from pathlib import Path

from app.workspace import DEFAULT_MAX_ENTRIES, TooManyEntries, count_entries, mirror_tree

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_WATCH_SECONDS = 0.05


class StageFailed(Exception):
    """The sandbox's work directory could not be reached, filled or copied back."""


class StagedWorkdir:
    """The tmpfs that stands for `host` inside one sandbox."""

    def __init__(
        self, host: Path, disk_bytes: int, owner: int | None, *, report: int, gate: int
    ) -> None:
        self.host = host
        self.disk_bytes = disk_bytes
        self.owner = owner
        self._report: int | None = report  # the reaper's `R`, then its usage report
        self._gate: int | None = gate  # one byte: start; end of file: results collected
        self._workdir: int | None = None
        self._tmp: int | None = None

    async def ready(self, seconds: float) -> bool:
        """Whether the reaper said, within `seconds`, that the sandbox is set up."""
        assert self._report is not None
        try:
            said = await asyncio.wait_for(
                read_pipe(self._report, limit=1, until_eof=False), seconds
            )
        except TimeoutError:
            return False
        return said == b"R"

    def start(self, *, collect: bool) -> None:
        """Let the command start; without `collect` the sandbox ends with it, uncollected."""
        assert self._gate is not None
        os.write(self._gate, b"g")
        if not collect:
            self.release()

    async def ended(self) -> bytes:
        """The reaper's usage report once the command and all it started have ended; empty
        when the reaper did not live to write it."""
        assert self._report is not None
        return await read_pipe(self._report, limit=4096)

    def release(self) -> None:
        """Let the sandbox end: its results are collected, or never will be."""
        if self._gate is not None:
            os.close(self._gate)
            self._gate = None

    def attach(self, init_pid: int) -> None:
        """Open the sandbox's work directory and /tmp; call before the command starts."""
        # The one link followed: /proc's own, to the sandbox's root.
        root = os.open(f"/proc/{init_pid}/root", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            self._tmp = _walk(root, Path("/tmp"))
            self._workdir = _walk(root, self.host)
        finally:
            os.close(root)
        info = os.fstatvfs(self._workdir)
        expected = -(-self.disk_bytes // info.f_frsize)
        if info.f_blocks != expected:
            raise StageFailed(f"{self.host} inside the sandbox is not the run's bounded tmpfs")

    def fill(self) -> None:
        """Copy the host folder in, owned by the sandbox's uid when it runs as one."""
        host = os.open(self.host, _FOLDER)
        try:
            mirror_tree(host, self._opened(), owner=self.owner)
            os.fchmod(self._opened(), 0o700)
        except (OSError, TooManyEntries) as error:
            raise StageFailed(f"the work directory could not be copied in: {error}") from error
        finally:
            os.close(host)

    def collect(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        """Copy what the command left in the work directory back to the host folder."""
        # Counted first, so that too many entries leave the host folder as it was.
        count_entries(self._opened(), max_entries)
        host = os.open(self.host, _FOLDER)
        try:
            mirror_tree(self._opened(), host, max_entries=max_entries)
        finally:
            os.close(host)

    def full(self) -> bool:
        """Whether the work directory or /tmp has no room left: a write was refused, or will be."""
        return any(
            os.fstatvfs(fd).f_bavail == 0 for fd in (self._workdir, self._tmp) if fd is not None
        )

    async def until_full(self) -> None:
        # Polled: no event says a tmpfs is full, and one statvfs per tick costs nothing.
        while not self.full():  # noqa: ASYNC110
            await asyncio.sleep(_WATCH_SECONDS)

    def close(self) -> None:
        for fd in (self._workdir, self._tmp, self._report, self._gate):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._workdir = self._tmp = self._report = self._gate = None

    def _opened(self) -> int:
        if self._workdir is None:
            raise StageFailed("the sandbox's work directory is not open")
        return self._workdir


def _walk(root: int, path: Path) -> int:
    """Open `path` below the folder `root`, refusing a link at any component."""
    current = os.dup(root)
    try:
        for part in path.parts[1:]:
            following = os.open(part, _FOLDER, dir_fd=current)
            os.close(current)
            current = following
    except OSError as error:
        os.close(current)
        raise StageFailed(f"{path} is not reachable inside the sandbox: {error}") from error
    return current


def child_pid(info: bytes) -> int:
    """The sandbox's init pid, from what bubblewrap wrote to its --info-fd."""
    try:
        return int(json.loads(info)["child-pid"])
    except (ValueError, KeyError, TypeError) as error:
        raise StageFailed(f"bubblewrap did not say which process it started: {info!r}") from error


async def read_pipe(fd: int, *, limit: int, until_eof: bool = True) -> bytes:
    """Read up to `limit` bytes of a pipe without blocking the loop: to its end, or (with
    `until_eof` False) as soon as anything arrived."""
    loop = asyncio.get_running_loop()
    os.set_blocking(fd, False)
    data = bytearray()
    finished: asyncio.Future[None] = loop.create_future()

    def on_readable() -> None:
        while True:
            try:
                chunk = os.read(fd, 65_536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            data.extend(chunk[: max(0, limit - len(data))])
            if not chunk or not until_eof:
                if not finished.done():
                    finished.set_result(None)
                return

    loop.add_reader(fd, on_readable)
    try:
        await finished
    finally:
        loop.remove_reader(fd)
    return bytes(data)
