"""Copying a repository tree for a run: links kept as links, any that leaves the root (or
reaches out through another link) dropped and recorded, special files never copied."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from app.workspace.paths import RepositoryPathRefused, resolve_inside

log = logging.getLogger(__name__)

# The shape of `shutil.ignore_patterns(...)`: (folder, its entry names) -> names to skip.
Ignore = Callable[[str, list[str]], Iterable[str]]
_SOURCE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_TARGET = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


@dataclass(frozen=True)
class DroppedEntry:
    """An entry of the repository left out of a copy, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class CopiedTree:
    """A copy of a repository and what was left out of it."""

    root: Path
    dropped: tuple[DroppedEntry, ...] = ()


def copy_repository(source: Path, target: Path, *, ignore: Ignore | None = None) -> CopiedTree:
    """Copy `source` to the new folder `target` (as `shutil.copytree(..., symlinks=True)`
    would, with the same `ignore`), except for links whose target resolves outside `source`
    and files that are neither regular files, folders nor links."""
    base = os.path.realpath(source)
    dropped: list[DroppedEntry] = []
    os.makedirs(target)
    folders: list[tuple[str, os.stat_result]] = [("", os.stat(base))]
    finished: list[tuple[str, os.stat_result]] = []
    while folders:
        relative, info = folders.pop()
        finished.append((relative, info))
        here = os.path.join(base, relative)
        entries = list(os.scandir(here))
        skipped = set(ignore(here, [entry.name for entry in entries])) if ignore else set()
        for entry in entries:
            if entry.name in skipped:
                continue
            path = os.path.join(relative, entry.name)
            destination = os.path.join(target, path)
            if entry.is_symlink():
                reason = _copy_link(base, path, destination)
                if reason:
                    dropped.append(DroppedEntry(path, reason))
            elif entry.is_dir(follow_symlinks=False):
                os.mkdir(destination)
                folders.append((path, entry.stat(follow_symlinks=False)))
            elif entry.is_file(follow_symlinks=False) and _copy_file(entry.path, destination):
                pass
            else:
                dropped.append(DroppedEntry(path, "not a regular file, folder or link"))
    # Folder modes last, deepest first: a read-only folder must not stop its own copying.
    for relative, info in reversed(finished):
        folder = os.path.join(target, relative)
        os.chmod(folder, stat.S_IMODE(info.st_mode))
        os.utime(folder, ns=(info.st_atime_ns, info.st_mtime_ns))
    if dropped:
        log.warning(
            "links leaving the repository were not copied",
            extra={"source": str(source), "dropped": [entry.path for entry in dropped[:20]]},
        )
    return CopiedTree(Path(target), tuple(dropped))


def _copy_link(base: str, path: str, destination: str) -> str | None:
    """Recreate the link at `path`, or say why not (its whole chain must stay in `base`)."""
    try:
        components = resolve_inside(base, path)
    except RepositoryPathRefused as refused:
        return refused.reason
    target = os.readlink(os.path.join(base, path))
    if os.path.isabs(target):
        # An absolute link into the repository would point the copy back at the original.
        target = os.path.relpath(
            os.path.join(base, *components), os.path.join(base, os.path.dirname(path))
        )
    os.symlink(target, destination)
    return None


def _copy_file(source: str, destination: str) -> bool:
    """Copy one regular file; False (nothing written) when it is no longer one."""
    read = os.open(source, _SOURCE)
    try:
        info = os.fstat(read)
        if not stat.S_ISREG(info.st_mode):
            return False
        write = os.open(destination, _TARGET, 0o600)
        try:
            while os.sendfile(write, read, None, 1 << 30):
                pass
            os.fchmod(write, stat.S_IMODE(info.st_mode))
            os.utime(write, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(write)
    finally:
        os.close(read)
    return True
