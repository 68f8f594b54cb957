"""setuptools' `setup.cfg` and `setup.py`, read without running anything: `setup.py` is parsed
with ast and only literal values (or names bound to literals) are taken from its `setup()` call."""

from __future__ import annotations

import ast
import configparser
from collections.abc import Mapping

from app.environments.files import RepositoryFiles
from app.environments.interpreters import wanted_from_specifier
from app.environments.metadata import Metadata
from app.environments.recipe import EnvironmentUnavailable, Source


def setup_cfg_metadata(files: RepositoryFiles) -> Metadata | None:
    parser = read_ini(files, "setup.cfg")
    # Many repositories keep only tool settings (flake8, pytest) in setup.cfg: not a project.
    if parser is None or not (parser.has_section("metadata") or parser.has_section("options")):
        return None
    metadata = Metadata("setup.cfg", builder="setuptools")
    if parser.has_option("metadata", "name"):
        metadata.name = parser.get("metadata", "name").strip() or None
    if parser.has_option("options", "install_requires"):
        metadata.dependencies = _lines(parser.get("options", "install_requires"))
        metadata.dependencies_where = "[options].install_requires"
    if parser.has_section("options.extras_require"):
        metadata.extras = {
            name: _lines(value) for name, value in parser.items("options.extras_require")
        }
        metadata.extras_where = "[options.extras_require]"
    if parser.has_option("options", "python_requires"):
        source = Source("setup.cfg", "[options].python_requires")
        metadata.python.append(
            wanted_from_specifier(parser.get("options", "python_requires"), source)
        )
    return metadata


def setup_py_metadata(files: RepositoryFiles) -> Metadata | None:
    module = files.python_module("setup.py")
    if module is None:
        return None
    bound = _module_literals(module)
    metadata = Metadata("setup.py", builder="setuptools (setup.py)")
    call = _setup_call(module)
    if call is None:
        return metadata
    keywords = {keyword.arg: keyword.value for keyword in call.keywords if keyword.arg}
    name = _literal(keywords.get("name"), bound)
    metadata.name = name if isinstance(name, str) else None
    requires = _literal(keywords.get("install_requires"), bound)
    if isinstance(requires, list | tuple):
        metadata.dependencies = [str(line) for line in requires]
        metadata.dependencies_where = "setup(install_requires=...)"
    extras = _literal(keywords.get("extras_require"), bound)
    if isinstance(extras, Mapping):
        metadata.extras = {
            str(key): [str(line) for line in value]
            if isinstance(value, list | tuple)
            else _lines(str(value))
            for key, value in extras.items()
        }
        metadata.extras_where = "setup(extras_require=...)"
    python = _literal(keywords.get("python_requires"), bound)
    if isinstance(python, str):
        source = Source("setup.py", "setup(python_requires=...)")
        metadata.python.append(wanted_from_specifier(python, source))
    return metadata


def read_ini(files: RepositoryFiles, relative: str) -> configparser.ConfigParser | None:
    text = files.read_text(relative)
    if text is None:
        return None
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text, relative)
    except configparser.Error as error:
        raise EnvironmentUnavailable(
            f"{relative} cannot be read as an INI file: {error}"
        ) from error
    return parser


def _lines(value: str) -> list[str]:
    return [
        line.strip()
        for line in value.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def _setup_call(module: ast.Module) -> ast.Call | None:
    for node in ast.walk(module):
        if isinstance(node, ast.Call):
            function = node.func
            name = (
                function.attr
                if isinstance(function, ast.Attribute)
                else getattr(function, "id", "")
            )
            if name == "setup":
                return node
    return None


def _module_literals(module: ast.Module) -> dict[str, ast.expr]:
    """Top-level `NAME = <expression>` bindings, for `extras_require=EXTRAS` and the like."""
    bound: dict[str, ast.expr] = {}
    for statement in module.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target = statement.targets[0]
            if isinstance(target, ast.Name):
                bound[target.id] = statement.value
    return bound


def _literal(node: ast.expr | None, bound: Mapping[str, ast.expr], depth: int = 0) -> object:
    """A literal value, following names bound at module level and `list + list`; None otherwise."""
    if node is None or depth > 8:
        return None
    if isinstance(node, ast.Name) and node.id in bound:
        return _literal(bound[node.id], bound, depth + 1)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left, bound, depth + 1), _literal(node.right, bound, depth + 1)
        if isinstance(left, list | tuple) and isinstance(right, list | tuple):
            return [*left, *right]
        return None
    if isinstance(node, ast.List | ast.Tuple):
        items = [_literal(item, bound, depth + 1) for item in node.elts]
        return None if any(item is None for item in items) else items
    if isinstance(node, ast.Dict):
        # Entries built at run time (`"all": sorted(...)`) are left out; the literal ones stay.
        pairs = [
            (_literal(key, bound, depth + 1) if key else None, _literal(value, bound, depth + 1))
            for key, value in zip(node.keys, node.values, strict=True)
        ]
        return {key: value for key, value in pairs if key is not None and value is not None}
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float):
        return node.value
    return None
