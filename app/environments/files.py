"""Reading a repository's packaging files: inside the root only, bounded, each read recorded."""

from __future__ import annotations

import posixpath
from pathlib import Path

from app.environments.recipe import EnvironmentUnavailable

# Lock files of large projects reach a few megabytes; nothing legitimate is bigger.
MAX_FILE_BYTES = 8 * 1024 * 1024


def contained(root: Path, relative: str) -> Path:
    """The real path of `relative` under `root`, refused when it or a link on the way leaves it.

    The one place detection turns a repository path into a host path, so a shared
    repository-content layer can replace it."""
    normal = posixpath.normpath(relative.replace("\\", "/"))
    if normal.startswith(("/", "../")) or normal == "..":
        raise EnvironmentUnavailable(
            f"{relative} is outside the repository; Kintsugi reads only files inside it"
        )
    real_root = root.resolve()
    target = (real_root / normal).resolve()
    if target != real_root and real_root not in target.parents:
        raise EnvironmentUnavailable(
            f"{relative} is a link leading outside the repository; Kintsugi does not follow it"
        )
    return target


class RepositoryFiles:
    """The files of one checkout as detection sees them; `inputs` lists every file read."""

    def __init__(self, root: Path, *, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._inputs: dict[str, None] = {}

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(sorted(self._inputs))

    def is_file(self, relative: str) -> bool:
        return contained(self.root, relative).is_file()

    def is_dir(self, relative: str) -> bool:
        return contained(self.root, relative).is_dir()

    def read_text(self, relative: str) -> str | None:
        """The file's text, or None when there is no such file."""
        if not self.is_file(relative):
            return None
        path = contained(self.root, relative)
        with path.open("rb") as handle:
            data = handle.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise EnvironmentUnavailable(
                f"{relative} is larger than {self.max_bytes} bytes; Kintsugi does not read it"
            )
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise EnvironmentUnavailable(f"{relative} is not UTF-8 text ({error})") from error
        self._inputs[posixpath.normpath(relative)] = None
        return text

    def names(self, folder: str = ".") -> list[str]:
        """Repository-relative names of the entries of `folder`, sorted; [] when it is missing."""
        if not self.is_dir(folder):
            return []
        base = contained(self.root, folder)
        prefix = "" if folder in (".", "") else posixpath.normpath(folder) + "/"
        return sorted(prefix + entry.name for entry in base.iterdir())
