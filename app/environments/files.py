"""Reading a repository's packaging files through the workspace, each read recorded."""

from __future__ import annotations

import ast
import os
import posixpath
from pathlib import Path

from app.environments.recipe import EnvironmentUnavailable
from app.workspace import MAX_READ_BYTES, RepositoryPathRefused, read_bytes, resolve_inside

# Lock files of large projects reach a few megabytes; nothing legitimate is bigger.
MAX_FILE_BYTES = MAX_READ_BYTES


def contained(root: Path, relative: str) -> Path:
    """The real path of `relative` under `root`, refused when it or a link on the way leaves it
    (resolved by the workspace, step by step as the kernel would)."""
    normal = posixpath.normpath(relative.replace("\\", "/"))
    if normal.startswith(("/", "../")) or normal == "..":
        raise EnvironmentUnavailable(
            f"{relative} is outside the repository; Kintsugi reads only files inside it"
        )
    try:
        components = resolve_inside(root, normal)
    except RepositoryPathRefused:
        raise EnvironmentUnavailable(
            f"{relative} is a link leading outside the repository; Kintsugi does not follow it"
        ) from None
    return Path(os.path.realpath(root), *components)


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
        try:
            data = read_bytes(self.root, posixpath.normpath(relative), max_bytes=self.max_bytes)
        except FileNotFoundError:
            return None
        except RepositoryPathRefused as error:
            raise EnvironmentUnavailable(
                f"{relative}: {error.reason}; Kintsugi does not read it"
            ) from None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise EnvironmentUnavailable(f"{relative} is not UTF-8 text ({error})") from error
        self._inputs[posixpath.normpath(relative)] = None
        return text

    def python_module(self, relative: str) -> ast.Module | None:
        """The file parsed as Python (never run), or None when there is no such file."""
        text = self.read_text(relative)
        if text is None:
            return None
        try:
            return ast.parse(text, relative)
        except SyntaxError as error:
            raise EnvironmentUnavailable(f"{relative} is not valid Python: {error}") from error

    def names(self, folder: str = ".") -> list[str]:
        """Repository-relative names of the entries of `folder`, sorted; [] when it is missing."""
        if not self.is_dir(folder):
            return []
        base = contained(self.root, folder)
        prefix = "" if folder in (".", "") else posixpath.normpath(folder) + "/"
        return sorted(prefix + entry.name for entry in base.iterdir())
