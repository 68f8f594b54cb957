"""Requirements files: which ones a test run installs, and their `-r`/`-c` includes checked to
stay inside the repository."""

from __future__ import annotations

import posixpath
import re

from app.environments.files import RepositoryFiles, contained
from app.environments.parts import Part, names_of
from app.environments.recipe import EnvironmentUnavailable, InstallStep, Source

_BASE_STEMS = frozenset({"requirements", "base", "main", "common", "install", "runtime", "prod"})
_TEST_WORDS = re.compile(r"(^|[-_.])(tests?|testing)($|[-_.])")
_DEV_WORDS = re.compile(r"(^|[-_.])(dev|develop|development)($|[-_.])")
_INCLUDE = re.compile(r"^(-r|-c|--requirement|--constraint)(?:[=\s]+|(?<=-[rc]))(\S+)$")
_PATH_OPTION = re.compile(r"^(-e|--editable)[=\s]+(\S+)$")


def requirements_parts(files: RepositoryFiles) -> list[Part]:
    """Steps for the base requirements files, then the test ones (dev ones when none is named
    for tests): `requirements*.txt`, `*-requirements.txt` and `requirements/*.txt`."""
    base: list[str] = []
    tests: list[str] = []
    dev: list[str] = []
    for name in _candidates(files):
        stem = posixpath.splitext(posixpath.basename(name))[0].lower()
        if _TEST_WORDS.search(stem):
            tests.append(name)
        elif _DEV_WORDS.search(stem):
            dev.append(name)
        elif stem in _BASE_STEMS:
            base.append(name)
    chosen = base + (tests or dev)
    return [requirements_file_part(files, name, Source(name)) for name in chosen]


def requirements_file_part(files: RepositoryFiles, relative: str, source: Source) -> Part:
    """One requirements-file step; every file it includes is read, checked and recorded."""
    names = _read(files, posixpath.normpath(relative), source, seen=set())
    return Part(InstallStep("requirements-file", (posixpath.normpath(relative),), source), names)


def _candidates(files: RepositoryFiles) -> list[str]:
    top = [
        name
        for name in files.names()
        if name.endswith(".txt")
        and (
            name.startswith("requirements")
            or name.endswith(("-requirements.txt", "_requirements.txt"))
        )
    ]
    nested = [name for name in files.names("requirements") if name.endswith(".txt")]
    return [name for name in top + nested if files.is_file(name)]


def _read(files: RepositoryFiles, relative: str, source: Source, seen: set[str]) -> frozenset[str]:
    if relative in seen:
        return frozenset()
    seen.add(relative)
    text = files.read_text(relative)
    if text is None:
        raise EnvironmentUnavailable(f"{source}: {relative} does not exist in the repository")
    folder = posixpath.dirname(relative)
    requirements: list[str] = []
    names: set[str] = set()
    for line in _logical_lines(text):
        include = _INCLUDE.match(line)
        if include:
            target = include.group(2)
            if re.match(r"^[a-z+]+://", target):
                raise EnvironmentUnavailable(
                    f"{relative} includes {target}: only files in the repository can be included"
                )
            nested = posixpath.normpath(posixpath.join(folder, target))
            _inside(files, nested, relative)
            found = _read(files, nested, source, seen)
            if include.group(1) in ("-r", "--requirement"):
                names |= found
            continue
        editable = _PATH_OPTION.match(line)
        target = editable.group(2) if editable else line
        if editable or target.startswith((".", "/", "file:")):
            _inside(files, re.sub(r"\[.*\]$", "", target.removeprefix("file:")), relative)
            continue
        if not line.startswith("-"):
            requirements.append(line)
    return frozenset(names | names_of(requirements))


def _inside(files: RepositoryFiles, target: str, relative: str) -> None:
    try:
        contained(files.root, target)
    except EnvironmentUnavailable as error:
        raise EnvironmentUnavailable(f"{relative} refers to {target}: {error}") from error


def _logical_lines(text: str) -> list[str]:
    """Lines with comments dropped and backslash continuations joined, as pip reads them."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            lines.append(line)
    if pending.strip():
        lines.append(pending.strip())
    return lines
