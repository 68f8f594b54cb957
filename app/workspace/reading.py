"""Reading a repository's files: inside the root, regular files only, bounded in size."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path, PurePath

from app.workspace.paths import RepositoryPathRefused, open_directory, resolve_inside

# Sources, configs and test reports: far past any real one, small enough to hold in memory.
MAX_READ_BYTES = 8 * 1024 * 1024
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def read_bytes(root: Path | str, path: str | PurePath, *, max_bytes: int = MAX_READ_BYTES) -> bytes:
    """The bytes of the regular file `path` resolves to inside `root`.

    Raises FileNotFoundError when it does not exist, `RepositoryPathRefused` when it leaves
    the root, is not a regular file, or is larger than `max_bytes`."""
    components = resolve_inside(root, path)
    if not components:
        raise RepositoryPathRefused(path, "the repository root is not a file")
    parent = open_directory(root, components[:-1], create=False)
    try:
        fd = os.open(components[-1], _FILE, dir_fd=parent)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise RepositoryPathRefused(path, "it became a link while being read") from None
        raise
    finally:
        os.close(parent)
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise RepositoryPathRefused(path, "it is not a regular file")
        if info.st_size > max_bytes:
            raise RepositoryPathRefused(path, f"it is larger than {max_bytes} bytes")
        data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise RepositoryPathRefused(path, f"it is larger than {max_bytes} bytes")
    return data


def read_text(root: Path | str, path: str | PurePath, *, max_bytes: int = MAX_READ_BYTES) -> str:
    """`read_bytes` decoded as UTF-8 (a decoding error raises, as `Path.read_text` does)."""
    return read_bytes(root, path, max_bytes=max_bytes).decode("utf-8")


def is_repository_file(root: Path | str, path: str | PurePath) -> bool:
    """Whether `path` is a regular file inside `root` (links followed only inside it)."""
    try:
        components = resolve_inside(root, path)
    except RepositoryPathRefused:
        return False
    if not components:
        return False
    try:
        mode = os.lstat(os.path.join(os.path.realpath(root), *components)).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode)


def regular_files(
    root: Path | str, *, keep_directory: Callable[[str], bool] = lambda name: True
) -> Iterator[str]:
    """Repository paths (POSIX, relative to `root`) of its regular files, sorted per folder.

    Links are never listed nor descended: whatever they name inside the root is listed
    under its own path, and what they name outside it is no file of the repository."""
    base = os.path.realpath(root)
    stack = [""]
    while stack:
        relative = stack.pop()
        try:
            entries = sorted(os.scandir(os.path.join(base, relative)), key=lambda e: e.name)
        except OSError:
            continue
        folders = []
        for entry in entries:
            path = f"{relative}/{entry.name}" if relative else entry.name
            if entry.is_dir(follow_symlinks=False):
                if keep_directory(entry.name):
                    folders.append(path)
            elif entry.is_file(follow_symlinks=False):
                yield path
        stack.extend(reversed(folders))
