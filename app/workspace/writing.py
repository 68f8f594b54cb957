"""Writing into a repository checkout or a scratch copy of one, never through a link."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePath, PurePosixPath

from app.workspace.paths import RepositoryPathRefused, open_directory, resolve_inside

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


def write_text(root: Path | str, path: str | PurePath, text: str) -> None:
    """Write `text` (UTF-8) to `path` inside `root`, creating missing folders.

    Folders on the way may be links that stay inside the root; the file itself is opened
    with O_NOFOLLOW, so a link there (to a host file, or anywhere) is refused, never written
    through. Raises `RepositoryPathRefused` naming the path and the reason."""
    relative = PurePosixPath(os.fspath(path))
    name = relative.name
    if name in ("", ".", "..") or relative.is_absolute():
        raise RepositoryPathRefused(path, "it does not name a file in the repository")
    try:
        parent = open_directory(root, resolve_inside(root, relative.parent), create=True)
    except RepositoryPathRefused as refused:
        raise RepositoryPathRefused(path, refused.reason) from None
    try:
        fd = os.open(name, _CREATE, 0o644, dir_fd=parent)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise RepositoryPathRefused(path, "it is a link; writes never follow links") from None
        if error.errno in (errno.EISDIR, errno.ENXIO):
            raise RepositoryPathRefused(path, "it is not a regular file") from None
        raise
    finally:
        os.close(parent)
    with os.fdopen(fd, "wb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise RepositoryPathRefused(path, "it is not a regular file")
        # Truncated only once known to be a regular file of the repository.
        file.truncate(0)
        file.write(text.encode("utf-8"))
