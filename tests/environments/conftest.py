"""Repositories written into temporary folders, known interpreters, and a probed sandbox with
recipes made by hand for builds."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.version import Version

from app.environments import InstallStep, PythonChoice, Recipe, Source
from app.environments.build import EnvironmentBuilder
from app.environments.cache import EnvironmentCache
from app.environments.index import PackageIndex
from app.environments.interpreters import Interpreter, Interpreters
from functions.sandbox import Sandbox, SandboxUnavailable

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


PYPI = PackageIndex("https://pypi.org/simple", "test")


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    try:
        return Sandbox()
    except SandboxUnavailable as unavailable:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(
                f"bubblewrap must be usable on CI: build isolation cannot be skipped there "
                f"({unavailable})"
            )
        pytest.skip(f"bubblewrap is not usable on this machine: {unavailable}")


@pytest.fixture
def cache(tmp_path: Path, sandbox: Sandbox) -> EnvironmentCache:
    return EnvironmentCache(
        tmp_path / "cache", EnvironmentBuilder(sandbox, PYPI), max_bytes=1024 * 1024 * 1024
    )


def interpreter() -> PythonChoice:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return PythonChoice(version, Path(sys.base_prefix) / "bin" / f"python{version}", Source("test"))


def recipe(*steps: InstallStep, inputs: tuple[str, ...] = ("pyproject.toml",)) -> Recipe:
    return Recipe(
        python=interpreter(),
        steps=steps,
        test_command="python -m pytest -q",
        test_source=Source("test"),
        inputs=inputs,
    )


def project(*extras: str) -> InstallStep:
    return InstallStep("project", extras, Source("pyproject.toml", "[project]"))


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def src_layout_repository(root: Path, *, dependency: str = "six") -> Path:
    """A `src/` library with one runtime dependency and pytest as a test extra."""
    return write_tree(
        root,
        {
            "pyproject.toml": f"""\
                [build-system]
                requires = ["setuptools>=61"]
                build-backend = "setuptools.build_meta"

                [project]
                name = "demo"
                version = "0.1"
                dependencies = ["{dependency}"]

                [project.optional-dependencies]
                test = ["pytest"]
                """,
            "src/demo/__init__.py": """\
                import six

                def answer():
                    return six.moves.reduce(lambda a, b: a + b, [20, 22])
                """,
            "tests/test_demo.py": """\
                from demo import answer

                def test_answer():
                    assert answer() == 42
                """,
        },
    )
