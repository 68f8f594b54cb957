"""Resolving a path inside a repository root the way the kernel would, refusing every step
(a `..`, a relative or absolute link, a chain of them) that leaves the root."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePath

from app.errors import PermanentError

# The kernel's own bound on links followed in one lookup (MAXSYMLINKS).
MAX_LINKS = 40
_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class RepositoryPathRefused(PermanentError):
    """A repository path leaves the root, is a link where none may be, or is not a plain file.

    The message names the repository path and the reason, never what lies behind it."""

    def __init__(self, path: str | PurePath, reason: str) -> None:
        super().__init__(f"refused repository path {str(path)!r}: {reason}")
        self.path = str(path)
        self.reason = reason


def resolve_inside(root: Path | str, relative: str | PurePath) -> tuple[str, ...]:
    """The components, relative to the real `root`, that `relative` names once every link
    on the way is followed; a step out of the root raises `RepositoryPathRefused`.

    Parts that do not exist are taken as written: nothing there can be a link yet."""
    base = os.path.realpath(root)
    text = os.fspath(relative)
    if os.path.isabs(text):
        raise RepositoryPathRefused(relative, "an absolute path is not a repository path")
    pending = _parts(text)
    pending.reverse()
    resolved: list[str] = []
    links = 0
    while pending:
        part = pending.pop()
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                raise RepositoryPathRefused(relative, "it leaves the repository")
            resolved.pop()
            continue
        here = os.path.join(base, *resolved, part)
        try:
            mode = os.lstat(here).st_mode
        except (FileNotFoundError, NotADirectoryError):
            resolved.append(part)
            continue
        if not stat.S_ISLNK(mode):
            resolved.append(part)
            continue
        links += 1
        if links > MAX_LINKS:
            raise RepositoryPathRefused(relative, f"more than {MAX_LINKS} links on the way")
        target = os.readlink(here)
        if os.path.isabs(target):
            if target != base and not target.startswith(base + os.sep):
                raise RepositoryPathRefused(relative, "a link on the way leaves the repository")
            resolved = []
            target = os.path.relpath(target, base)
        following = _parts(target)
        following.reverse()
        pending.extend(following)
    return tuple(resolved)


def open_directory(root: Path | str, components: tuple[str, ...], *, create: bool) -> int:
    """A descriptor of `root/components`, opened one step at a time without following any
    link, so a link put in place after `resolve_inside` looked is refused, not followed."""
    fd = os.open(os.path.realpath(root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in components:
            try:
                child = os.open(part, _DIRECTORY, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(part, 0o755, dir_fd=fd)
                child = os.open(part, _DIRECTORY, dir_fd=fd)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise RepositoryPathRefused(
                        "/".join(components), f"{part} is not a directory of the repository"
                    ) from None
                raise
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _parts(path: str) -> list[str]:
    return path.split("/")
