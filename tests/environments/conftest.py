"""Repositories written into a temporary folder, and a known set of interpreters to choose from."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.version import Version

from app.environments.interpreters import Interpreter, Interpreters

WriteRepo = Callable[[dict[str, str]], Path]
VERSIONS = ("3.8.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0")


@pytest.fixture
def write_repo(tmp_path: Path) -> WriteRepo:
    def write(files: dict[str, str]) -> Path:
        root = tmp_path / "repo"
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        root.mkdir(exist_ok=True)
        return root

    return write


@pytest.fixture
def interpreters() -> Interpreters:
    return Interpreters.of(
        Interpreter(Version(version), Path(f"/opt/python/{version}/bin/python3"))
        for version in VERSIONS
    )
