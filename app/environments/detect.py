"""Finding how a repository installs and tests, the way its own CI does, from its files alone."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from app.environments.ci_pythons import ci_pythons
from app.environments.config import EnvironmentConfig, split_test_command
from app.environments.files import RepositoryFiles
from app.environments.interpreters import Interpreters, PythonWanted, wanted_from_specifier
from app.environments.locks import lock_pins
from app.environments.metadata import Metadata, merge, project_part
from app.environments.parts import Part, requirement_name
from app.environments.pyproject import PYPROJECT, group_parts, pyproject_metadata, read_toml
from app.environments.pytest_config import (
    PytestConfig,
    implied_plugins,
    plugins_in_words,
    pytest_config,
)
from app.environments.recipe import (
    EnvironmentUnavailable,
    InstallStep,
    PythonChoice,
    Recipe,
    Source,
)
from app.environments.requirements import requirements_parts
from app.environments.setup_files import setup_cfg_metadata, setup_py_metadata
from app.environments.testenvs import TestEnvironment, nox_environment, tox_environment
from app.settings import get_settings

CONFIG_FILE = ".github/kintsugi.yml"
DEFAULT_TEST_COMMAND = "python -m pytest"


def detect_recipe(
    root: Path,
    *,
    interpreters: Interpreters | None = None,
    config: EnvironmentConfig | None = None,
) -> Recipe:
    """The recipe for the checkout at `root`; `config` is its `environment:` overrides."""
    if not root.is_dir():
        raise EnvironmentUnavailable(f"{root} is not a directory")
    files = RepositoryFiles(root)
    config = config or EnvironmentConfig()
    if interpreters is None:
        interpreters = Interpreters.discover(extra=get_settings().interpreter_paths)
    pyproject = read_toml(files, PYPROJECT)
    metadata = _metadata(files, pyproject)
    testenv = tox_environment(files) or nox_environment(files) or TestEnvironment()
    parts = _detected_parts(files, pyproject, metadata, testenv)
    pins = lock_pins(files, metadata.name if metadata else None)
    if config.install is not None:
        parts = [
            Part(InstallStep("command", argv, Source(CONFIG_FILE, f"environment.install[{index}]")))
            for index, argv in enumerate(config.install_argvs())
        ]
        pins = None  # the commands replace everything detected, lock pins included
    pytest = pytest_config(files, pyproject)
    test_command, test_source, test_env = _test_command(config, testenv, pytest)
    plugins = implied_plugins(pytest) if pytest else []
    plugins += plugins_in_words(shlex.split(test_command), test_source)
    steps = [part.step for part in parts] + _pytest_steps(parts, plugins, config)
    python = _python(files, interpreters, config, metadata)
    inputs = set(files.inputs)
    if config != EnvironmentConfig() and (root / CONFIG_FILE).is_file():
        inputs.add(CONFIG_FILE)
    return Recipe(
        python=python,
        steps=tuple(steps),
        test_command=test_command,
        test_source=test_source,
        test_env=test_env,
        constraints=pins.constraints if pins else (),
        constraints_source=pins.source if pins else None,
        inputs=tuple(sorted(inputs)),
    )


def _metadata(files: RepositoryFiles, pyproject: dict[str, object] | None) -> Metadata | None:
    found = [
        meta for meta in (setup_cfg_metadata(files), setup_py_metadata(files)) if meta is not None
    ]
    if pyproject is not None:
        found.insert(0, pyproject_metadata(pyproject, files, has_setup=bool(found)))
    if not found:
        return None
    combined = found[0]
    for other in found[1:]:
        combined = merge(combined, other)
    return combined


def _detected_parts(
    files: RepositoryFiles,
    pyproject: dict[str, object] | None,
    metadata: Metadata | None,
    testenv: TestEnvironment,
) -> list[Part]:
    parts = requirements_parts(files)
    project = project_part(metadata) if metadata else None
    if project and project.step.kind == "project" and testenv.extras:
        extras = tuple(dict.fromkeys((*project.step.args, *testenv.extras)))
        detail = f"{project.step.source.detail}; extras {', '.join(testenv.extras)} from"
        source = Source(project.step.source.file, f"{detail} {testenv.extras_source}")
        project = Part(InstallStep("project", extras, source), project.names)
    if project:
        parts.append(project)
    if pyproject is not None:
        parts += group_parts(pyproject, files)
    parts += testenv.parts
    unique: dict[tuple[str, tuple[str, ...]], Part] = {}
    for part in parts:
        unique.setdefault((part.step.kind, part.step.args), part)
    return list(unique.values())


def _pytest_steps(
    parts: list[Part], plugins: list[tuple[str, Source]], config: EnvironmentConfig
) -> list[InstallStep]:
    """pytest and the plugins its configuration needs, unless the repository declares them
    (with `install` commands nothing is known to be declared; installing again is a no-op)."""
    declared = set().union(*(part.names for part in parts)) if config.install is None else set()
    steps: list[InstallStep] = []
    wanted = list(plugins)
    if "pytest" not in declared:
        added = Source("", "added: the repository does not declare pytest")
        wanted.insert(0, ("pytest", added))
    for requirement, source in wanted:
        name = requirement_name(requirement)
        if name and name not in declared:
            declared.add(name)
            steps.append(InstallStep("requirements", (requirement,), source))
    return steps


def _test_command(
    config: EnvironmentConfig, testenv: TestEnvironment, pytest: PytestConfig | None
) -> tuple[str, Source, dict[str, str]]:
    if config.test_command is not None:
        env, command = split_test_command(config.test_command)
        return command, Source(CONFIG_FILE, "environment.test_command"), env
    if testenv.test_command and testenv.test_source:
        return testenv.test_command, testenv.test_source, dict(testenv.test_env)
    if pytest is not None:
        return DEFAULT_TEST_COMMAND, pytest.source, {}
    return DEFAULT_TEST_COMMAND, Source("", "default: pytest finds the tests"), {}


def _python(
    files: RepositoryFiles,
    interpreters: Interpreters,
    config: EnvironmentConfig,
    metadata: Metadata | None,
) -> PythonChoice:
    if config.python is not None:
        wanted = wanted_from_specifier(config.python, Source(CONFIG_FILE, "environment.python"))
        return interpreters.choose(wanted) or _raise(interpreters.unavailable(wanted))
    declared = metadata.python if metadata else []
    pinned = _python_version_file(files)
    # .python-version is a developer's choice within what the project supports: used when
    # this machine has it, else the declared range decides.
    if pinned is not None:
        choice = interpreters.choose(pinned, *declared)
        if choice is not None:
            return choice
    tested = ci_pythons(files)
    if tested is not None:
        # Among the interpreters the project admits, the newest its CI runs the tests on.
        candidates = [
            found
            for found in interpreters.available()
            if all(want.admits(found.version) for want in declared)
            and tested.source_for(found.version)
        ]
        if candidates:
            best = max(candidates, key=lambda found: found.version)
            ci = tested.source_for(best.version)
            assert ci is not None
            within = f", within {declared[0].source}" if declared else ""
            source = Source(ci.file, f"{ci.detail} (the newest the CI tests on{within})")
            return PythonChoice(str(best.version), best.executable, source)
    if declared:
        return interpreters.choose(*declared) or _raise(interpreters.unavailable(*declared))
    if pinned is not None:
        raise interpreters.unavailable(pinned)
    return interpreters.newest(Source("", "no Python declared: the newest interpreter here"))


def _python_version_file(files: RepositoryFiles) -> PythonWanted | None:
    text = files.read_text(".python-version")
    for line in (text or "").splitlines():
        line = line.strip()
        if re.fullmatch(r"\d+(\.\d+){0,2}", line):
            return wanted_from_specifier(line, Source(".python-version", line))
    return None


def _raise(error: EnvironmentUnavailable) -> PythonChoice:
    raise error
