"""Real builds from PyPI: a repository's own environment, its sources first, read-only in runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.environments.build import _uv_binary
from app.environments.cache import EnvironmentCache
from app.healing.runner import SandboxCommandRunner
from app.healing.suite import run_suite, suite_argv
from functions.sandbox import Sandbox
from tests.environments.conftest import project, recipe, src_layout_repository, write_tree

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


def _work_copy(repo: Path, target: Path) -> Path:
    shutil.copytree(repo, target)
    return target


async def test_tests_run_on_the_environment_of_their_repository(
    tmp_path: Path, cache: EnvironmentCache, sandbox: Sandbox
) -> None:
    repo = src_layout_repository(tmp_path / "repo")
    write_tree(
        repo,
        {
            "tests/test_where.py": """\
                import os, socket, sys
                import pytest
                import six

                def test_the_interpreter_and_packages_are_the_environment():
                    assert sys.prefix == os.environ["VIRTUAL_ENV"]
                    assert six.__file__.startswith(sys.prefix)

                def test_the_environment_is_read_only():
                    with pytest.raises(OSError):
                        open(os.path.join(sys.prefix, "planted.txt"), "w")

                def test_runs_have_no_network():
                    with pytest.raises(OSError):
                        socket.create_connection(("1.1.1.1", 443), timeout=2)
                """,
        },
    )
    runner = SandboxCommandRunner(sandbox)
    async with cache.provide(recipe(project("test")), repo) as environment:
        assert environment.built and environment.source_roots == ("src",)
        report = await run_suite(
            runner, _work_copy(repo, tmp_path / "one"), environment=environment
        )
        assert report.readable, report.output_tail
        assert len(report.passed) == 4 and not report.failed, report.output_tail
        # A candidate's edit in its own work copy is what its tests import.
        broken = _work_copy(repo, tmp_path / "two")
        init = broken / "src/demo/__init__.py"
        init.write_text(init.read_text().replace("[20, 22]", "[20, 21]"))
        report = await run_suite(runner, broken, environment=environment)
        assert report.failed == {"tests/test_demo.py::test_answer"}
    assert not (environment.root / "planted.txt").exists()
    async with cache.provide(recipe(project("test")), repo) as again:
        assert not again.built and again.ready_seconds < 1.0


def test_python_and_pytest_resolve_to_the_environment_interpreter(tmp_path: Path) -> None:
    python = tmp_path / "env/bin/python"
    assert suite_argv("python -m pytest -q", "j.xml", python=python)[0] == str(python)
    assert suite_argv("pytest tests", "j.xml", python=python)[:3] == [str(python), "-m", "pytest"]


async def test_a_build_that_fails_names_the_step_and_shows_its_output(
    tmp_path: Path, cache: EnvironmentCache
) -> None:
    from app.environments import EnvironmentUnavailable, InstallStep, Source

    repo = write_tree(tmp_path / "repo", {"requirements.txt": "no-such-package-kintsugi-test\n"})
    step = InstallStep("requirements-file", ("requirements.txt",), Source("requirements.txt"))
    with pytest.raises(EnvironmentUnavailable) as raised:
        async with cache.provide(recipe(step, inputs=("requirements.txt",)), repo):
            pass
    assert "step 2 (requirements-file from requirements.txt)" in raised.value.reason
    assert "no-such-package-kintsugi-test" in raised.value.output
    assert cache.entries() == []


@pytest.mark.parametrize("installer", ["uv", "pip"])
async def test_an_install_command_with_an_editable_install_still_imports_the_work_copy(
    tmp_path: Path, cache: EnvironmentCache, sandbox: Sandbox, installer: str
) -> None:
    from app.environments import InstallStep, Source

    repo = src_layout_repository(tmp_path / "repo")
    # pip reads /etc (nsswitch.conf, os-release): a dropped sandbox uid must be able to enter it.
    command = (str(_uv_binary()), "pip") if installer == "uv" else ("pip",)
    step = InstallStep("command", (*command, "install", "-e", ".[test]"), Source("kintsugi.yml"))
    async with cache.provide(recipe(step), repo) as environment:
        assert environment.source_roots == ("src",)
        broken = _work_copy(repo, tmp_path / "work")
        init = broken / "src/demo/__init__.py"
        init.write_text(init.read_text().replace("[20, 22]", "[20, 21]"))
        report = await run_suite(SandboxCommandRunner(sandbox), broken, environment=environment)
    assert report.readable, report.output_tail
    assert report.failed == {"tests/test_demo.py::test_answer"}


async def test_a_build_that_fills_its_disk_fails_naming_the_bound(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    from app.environments import InstallStep, Source
    from app.environments.build import BuildLimits, EnvironmentBuilder
    from app.environments.recipe import EnvironmentUnavailable
    from tests.environments.conftest import PYPI

    repo = src_layout_repository(tmp_path / "repo")
    fill = "open('fill', 'wb').write(b'x' * 96 * 1024 * 1024)"
    step = InstallStep("command", ("python", "-c", fill), Source("kintsugi.yml"))
    builder = EnvironmentBuilder(sandbox, PYPI, limits=BuildLimits(seconds=120, disk_mb=64))
    cache = EnvironmentCache(tmp_path / "cache", builder, max_bytes=1024 * 1024 * 1024)
    with pytest.raises(EnvironmentUnavailable, match="filled its 64 MB of disk"):
        async with cache.provide(recipe(step), repo):
            pass
    assert cache.entries() == []
