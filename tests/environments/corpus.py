"""The corpus of real projects (`bench/corpus/environments.toml`): published sdists fetched by
pinned version and sha256 into a cache, unpacked, and their seeded bugs applied."""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from app.workspace import copy_repository
from app.workspace.reading import read_text
from app.workspace.writing import write_text

MANIFEST = Path(__file__).resolve().parents[2] / "bench" / "corpus" / "environments.toml"
_DOWNLOAD_SECONDS = 120.0


@dataclass(frozen=True)
class Edit:
    """One exact text replacement in one file: `old` must occur exactly once."""

    file: str
    old: str
    new: str


@dataclass(frozen=True)
class CorpusProject:
    name: str
    version: str
    url: str
    sha256: str
    backend: str
    layout: str
    features: tuple[str, ...]
    detected: tuple[str, ...]
    bug: Edit
    bug_kind: str

    @property
    def ident(self) -> str:
        return f"{self.name}-{self.version}"


def load_manifest(path: Path = MANIFEST) -> list[CorpusProject]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    projects = []
    for entry in data["project"]:
        bug = entry["bug"]
        projects.append(
            CorpusProject(
                name=entry["name"],
                version=entry["version"],
                url=entry["url"],
                sha256=entry["sha256"],
                backend=entry["backend"],
                layout=entry["layout"],
                features=tuple(entry["features"]),
                detected=tuple(entry.get("detected", ())),
                bug=Edit(bug["file"], bug["old"], bug["new"]),
                bug_kind=bug["kind"],
            )
        )
    return projects


def cache_root() -> Path:
    """Where sdists, unpacked sources and environments persist between runs."""
    explicit = os.environ.get("KINTSUGI_TEST_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kintsugi-tests"


def fetch(project: CorpusProject, root: Path) -> Path:
    """The project's sdist under `root/sdists`, downloaded once and checked against its sha256."""
    target = root / "sdists" / Path(project.url).name
    if target.is_file() and _sha256(target) == project.sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as partial:
        try:
            with urllib.request.urlopen(project.url, timeout=_DOWNLOAD_SECONDS) as response:
                while chunk := response.read(1 << 16):
                    partial.write(chunk)
            partial.close()
            digest = _sha256(Path(partial.name))
            if digest != project.sha256:
                raise RuntimeError(
                    f"{project.url} has sha256 {digest}, the manifest pins {project.sha256}"
                )
            os.replace(partial.name, target)
        finally:
            if os.path.exists(partial.name):
                os.unlink(partial.name)
    return target


def source_tree(project: CorpusProject, root: Path) -> Path:
    """The unpacked, unchanged sdist under `root/sources` (shared: copy it before changing it)."""
    tree = root / "sources" / project.sha256[:16] / project.ident
    if (tree / "PKG-INFO").is_file():
        return tree
    sdist = fetch(project, root)
    tree.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tree.parent) as scratch:
        with tarfile.open(sdist) as archive:
            archive.extractall(scratch, filter="data")
        (top,) = Path(scratch).iterdir()  # an sdist holds one `name-version/` folder
        if not (top / "PKG-INFO").is_file():
            raise RuntimeError(f"{sdist.name} is not an sdist: no PKG-INFO in {top.name}/")
        try:
            top.rename(tree)
        except OSError:
            if not (tree / "PKG-INFO").is_file():  # not a concurrent unpack that won
                raise
    return tree


def checkout(project: CorpusProject, root: Path, target: Path, *, seeded: bool) -> Path:
    """A private copy of the project's source at `target`, with its seeded bug if `seeded`."""
    copy_repository(source_tree(project, root), target)
    if seeded:
        apply(target, project.bug)
    return target


def apply(tree: Path, edit: Edit) -> None:
    text = read_text(tree, edit.file)
    count = text.count(edit.old)
    if count != 1:
        raise RuntimeError(f"{edit.file}: the text to replace occurs {count} times, not once")
    write_text(tree, edit.file, text.replace(edit.old, edit.new))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
