"""Mirroring a run's work directory between the host and the sandbox, through open folders only.

Both sides are folder descriptors and every step is taken relative to one with O_NOFOLLOW, so a
link is copied as a link (its text verbatim, never followed) and no path component is resolved
twice. The number of entries is bounded: a run can create millions of empty files without using
a byte of its disk bound, and none of them may reach the host's disk.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_SOURCE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
_TARGET = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
DEFAULT_MAX_ENTRIES = 200_000
MAX_DEPTH = 256


class TooManyEntries(Exception):
    """The tree holds more entries than a mirror copies."""


@dataclass
class _Budget:
    left: int

    def take(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise TooManyEntries("the work directory holds too many files and folders")


def mirror_tree(
    source: int, target: int, *, owner: int | None = None, max_entries: int = DEFAULT_MAX_ENTRIES
) -> None:
    """Make the folder `target` hold what the folder `source` holds: folders, regular files
    (content, mode, times) and links; anything else is left out, and whatever `target` held
    that `source` does not is removed. A regular file of the same size, mode and modification
    time is taken as unchanged. `owner` (a uid, also used as gid) is given everything created,
    the root included."""
    if owner is not None:
        os.fchown(target, owner, owner)
    _mirror(source, target, owner, _Budget(max_entries), 0)


def count_entries(folder: int, max_entries: int = DEFAULT_MAX_ENTRIES) -> int:
    """How many entries the tree under the folder `folder` holds; `TooManyEntries` past
    `max_entries` or `MAX_DEPTH` nested folders. Links are counted, never followed."""
    budget = _Budget(max_entries)
    _count(folder, budget, 0)
    return max_entries - budget.left


def _count(folder: int, budget: _Budget, depth: int) -> None:
    _deep(depth)
    for entry in os.scandir(folder):
        budget.take()
        if entry.is_dir(follow_symlinks=False):
            inner = os.open(entry.name, _FOLDER, dir_fd=folder)
            try:
                _count(inner, budget, depth + 1)
            finally:
                os.close(inner)


def _deep(depth: int) -> None:
    if depth > MAX_DEPTH:
        raise TooManyEntries(f"the work directory nests folders deeper than {MAX_DEPTH}")


def _mirror(source: int, target: int, owner: int | None, budget: _Budget, depth: int) -> None:
    _deep(depth)
    present = {entry.name: entry.stat(follow_symlinks=False) for entry in os.scandir(target)}
    seen: set[str] = set()
    for entry in os.scandir(source):
        budget.take()
        name = entry.name
        seen.add(name)
        info = entry.stat(follow_symlinks=False)
        have = present.get(name)
        if stat.S_ISDIR(info.st_mode):
            _folder(source, target, name, info, have, owner, budget, depth)
        elif stat.S_ISLNK(info.st_mode):
            text = os.readlink(name, dir_fd=source)
            same = have is not None and stat.S_ISLNK(have.st_mode)
            if same and os.readlink(name, dir_fd=target) == text:
                continue
            _remove(target, name, have)
            os.symlink(text, name, dir_fd=target)
            if owner is not None:
                os.chown(name, owner, owner, dir_fd=target, follow_symlinks=False)
        elif stat.S_ISREG(info.st_mode):
            if have is not None and _same_file(info, have):
                continue
            _remove(target, name, have)
            _copy_file(source, target, name, owner)
        else:
            seen.discard(name)  # devices, fifos, sockets: never copied
    for name, have in present.items():
        if name not in seen:
            _remove(target, name, have)


def _folder(
    source: int,
    target: int,
    name: str,
    info: os.stat_result,
    have: os.stat_result | None,
    owner: int | None,
    budget: _Budget,
    depth: int,
) -> None:
    if have is None or not stat.S_ISDIR(have.st_mode):
        _remove(target, name, have)
        os.mkdir(name, 0o700, dir_fd=target)
    inner_source = os.open(name, _FOLDER, dir_fd=source)
    try:
        inner_target = os.open(name, _FOLDER, dir_fd=target)
        try:
            if owner is not None:
                os.fchown(inner_target, owner, owner)
            _mirror(inner_source, inner_target, owner, budget, depth + 1)
            # Modes last: a read-only folder must not stop its own copying.
            os.fchmod(inner_target, _mode(info))
            os.utime(inner_target, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(inner_target)
    finally:
        os.close(inner_source)


def _same_file(info: os.stat_result, have: os.stat_result) -> bool:
    return (
        stat.S_ISREG(have.st_mode)
        and have.st_size == info.st_size
        and have.st_mtime_ns == info.st_mtime_ns
        and stat.S_IMODE(have.st_mode) == _mode(info)
    )


def _mode(info: os.stat_result) -> int:
    # Never set-user or set-group id: a copy made by root would be a root-owned one.
    return stat.S_IMODE(info.st_mode) & ~(stat.S_ISUID | stat.S_ISGID)


def _remove(target: int, name: str, have: os.stat_result | None) -> None:
    if have is None:
        return
    if stat.S_ISDIR(have.st_mode):
        shutil.rmtree(name, dir_fd=target)
    else:
        os.unlink(name, dir_fd=target)


def _copy_file(source: int, target: int, name: str, owner: int | None) -> None:
    read = os.open(name, _SOURCE, dir_fd=source)
    try:
        info = os.fstat(read)
        if not stat.S_ISREG(info.st_mode):
            return
        write = os.open(name, _TARGET, 0o600, dir_fd=target)
        try:
            while os.sendfile(write, read, None, 1 << 30):
                pass
            if owner is not None:
                os.fchown(write, owner, owner)
            os.fchmod(write, _mode(info))
            os.utime(write, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(write)
    finally:
        os.close(read)
