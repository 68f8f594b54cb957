"""Test environments declared for tox (`tox.ini`) and nox (`noxfile.py`, read with ast, never
run): their dependencies, the extras they install the project with, and how they call pytest."""

from __future__ import annotations

import ast
import re
import shlex
from dataclasses import dataclass, field

from app.environments.files import RepositoryFiles
from app.environments.parts import TEST_NAMES, Part, requirements_step
from app.environments.recipe import Source
from app.environments.requirements import requirements_file_part
from app.environments.setup_files import read_ini

_TOX_SECTIONS = ("testenv", "testenv:py", "testenv:test", "testenv:tests", "testenv:testing")
_PYTEST_CALL = re.compile(
    r"^(?:\S*python\S*\s+-m\s+pytest|\S*py\.?test|coverage\s+run\s+(?:\S+\s+)*?-m\s+pytest)(\s|$)"
)


@dataclass
class TestEnvironment:
    """What a tox or nox test environment adds to the recipe."""

    parts: list[Part] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    extras_source: Source | None = None
    test_command: str | None = None
    test_source: Source | None = None
    test_env: dict[str, str] = field(default_factory=dict)


def tox_environment(files: RepositoryFiles) -> TestEnvironment | None:
    parser = read_ini(files, "tox.ini")
    if parser is None:
        return None
    section = next((name for name in _TOX_SECTIONS if parser.has_section(name)), None)
    if section is None:
        return None
    found = TestEnvironment()
    where = f"[{section}]"
    requirements: list[str] = []
    for line in _tox_lines(parser.get(section, "deps", fallback="")):
        include = re.match(r"^-r\s*(\S+)$", line)
        if include:
            source = Source("tox.ini", f"{where} deps")
            found.parts.append(requirements_file_part(files, include.group(1), source))
        elif not line.startswith("-"):
            requirements.append(line)
    step = requirements_step(requirements, Source("tox.ini", f"{where} deps"))
    if step:
        found.parts.append(step)
    extras = " ".join(_tox_lines(parser.get(section, "extras", fallback="")))
    found.extras = [extra for extra in re.split(r"[\s,]+", extras) if extra]
    if found.extras:
        found.extras_source = Source("tox.ini", f"{where} extras")
    for line in _tox_lines(parser.get(section, "commands", fallback="")):
        command = pytest_command(line)
        if command:
            found.test_command = command
            found.test_source = Source("tox.ini", f"{where} commands")
            break
    for line in _tox_lines(parser.get(section, "setenv", fallback="")):
        match = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$", line)
        if match and "{" not in match.group(2):
            found.test_env[match.group(1)] = match.group(2)
    return found


def pytest_command(line: str) -> str | None:
    """`python -m pytest` with the arguments a tox or nox command gives pytest; None when the
    command does not run pytest. `{posargs:tests}` keeps its default."""
    line = re.sub(r"\{posargs(?::([^}]*))?\}", lambda match: match.group(1) or "", line).strip()
    match = _PYTEST_CALL.match(line)
    if not match:
        return None
    try:
        rest = shlex.split(line[match.end() :])
    except ValueError:
        return None
    return shlex.join(["python", "-m", "pytest", *(arg for arg in rest if "{" not in arg)])


def _tox_lines(value: str) -> list[str]:
    """The lines a test environment uses: unconditional ones and those for factors like `tests`
    (`mypy: ...` belongs to another environment); a substitution other than the
    repository's root cannot be resolved here."""
    lines = []
    for raw in value.replace("\\\n", " ").splitlines():
        line = raw.split(" #")[0].strip().replace("{toxinidir}/", "").replace("{toxinidir}", ".")
        condition = re.match(r"^(!?[\w.,{}-]+)\s*:\s+", line)
        if condition:
            if not _for_tests(condition.group(1)):
                continue
            line = line[condition.end() :]
        if not line or line.startswith("#"):
            continue
        if "{" in line and "{posargs" not in line:
            continue
        lines.append(line)
    return lines


def _for_tests(condition: str) -> bool:
    """Whether a tox factor condition (`tests`, `py-tests`, `lint,tests`) names a test run;
    `py38:` lines serve one interpreter, not yet chosen here, and are left out."""
    for alternative in condition.split(","):
        if all(
            factor in TEST_NAMES or factor in ("py", "py3") for factor in alternative.split("-")
        ):
            return True
    return False


def nox_environment(files: RepositoryFiles) -> TestEnvironment | None:
    module = files.python_module("noxfile.py")
    if module is None:
        return None
    for function in module.body:
        if isinstance(function, ast.FunctionDef) and _is_test_session(function):
            return _nox_session(files, function)
    return None


def _is_test_session(function: ast.FunctionDef) -> bool:
    for decorator in function.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        target = call.func if call else decorator
        named = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if named != "session":
            continue
        name = function.name
        for keyword in call.keywords if call else []:
            if keyword.arg == "name" and isinstance(keyword.value, ast.Constant):
                name = str(keyword.value.value)
        return name in TEST_NAMES
    return False


def _nox_session(files: RepositoryFiles, function: ast.FunctionDef) -> TestEnvironment:
    found = TestEnvironment()
    where = f"session {function.name}"
    requirements: list[str] = []
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        args = [
            arg.value
            for arg in node.args
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        ]
        if node.func.attr == "install":
            _nox_install(files, args, where, found, requirements)
        elif node.func.attr == "run" and found.test_command is None:
            command = pytest_command(shlex.join(args))
            if command:
                found.test_command = command
                found.test_source = Source("noxfile.py", f"{where}: session.run")
    step = requirements_step(requirements, Source("noxfile.py", f"{where}: session.install"))
    if step:
        found.parts.append(step)
    return found


def _nox_install(
    files: RepositoryFiles, args: list[str], where: str, found: TestEnvironment, into: list[str]
) -> None:
    pending: str | None = None
    for arg in args:
        if pending == "-r":
            source = Source("noxfile.py", f"{where}: session.install")
            found.parts.append(requirements_file_part(files, arg, source))
        elif pending is None and arg in ("-r", "-c", "-e", "--requirement", "--constraint"):
            pending = {"--requirement": "-r", "--constraint": "-c"}.get(arg, arg)
            continue
        elif re.match(r"^\.(\[.*\])?$", arg):
            extras = re.findall(r"[\w.-]+", arg[1:])
            found.extras += [extra for extra in extras if extra not in found.extras]
            found.extras_source = Source("noxfile.py", f"{where}: session.install")
        elif pending is None and not arg.startswith("-"):
            into.append(arg)
        pending = None
