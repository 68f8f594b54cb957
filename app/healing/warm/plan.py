"""What a warm run of a candidate needs to know before it starts: whether warm validation can
apply to the change at all, which lines the change touches, and the pytest arguments."""

from __future__ import annotations

import ast
import difflib
import shlex
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

_COMPILED = (".pyx", ".pxd", ".pxi", ".c", ".cc", ".cpp", ".h", ".hpp", ".so", ".pyd", ".f90")
_DEFINITIONS = (
    ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass,
    ast.Assert, ast.Raise,
)  # fmt: skip


def pytest_args(test_command: str) -> list[str] | None:
    """The arguments `python -m pytest` gets in `test_command`, or None when the command does
    not run pytest that way (warm validation runs pytest in-process, with those arguments)."""
    argv = shlex.split(test_command)
    if argv[:1] in (["pytest"], ["py.test"]):
        return argv[1:]
    if len(argv) >= 3 and argv[0] in ("python", "python3") and argv[1:3] == ["-m", "pytest"]:
        return argv[3:]
    return None


def cold_reason(changes: Mapping[str, str], original: Mapping[str, str | None]) -> str | None:
    """Why a candidate's change must be validated cold, or None when warm applies.

    `original` holds each changed file's text before the change (None: the file is new)."""
    for path in sorted(changes):
        name = PurePosixPath(path).name
        if path.endswith(_COMPILED):
            return f"a compiled module changes ({path})"
        if name == "conftest.py":
            return f"conftest.py changes ({path})"
        if not path.endswith(".py"):
            return f"a file other than a Python module changes ({path})"
        for text in (original.get(path), changes[path]):
            if text is not None and _has_import_time_effects(text):
                return f"a module with import-time side effects changes ({path})"
    return None


def _has_import_time_effects(source: str) -> bool:
    """Whether importing the module does more than define names: a call, loop or `with` at
    its top level (beyond `if __name__ == "__main__":`), or a write into another module."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False  # the run fails at import either way, warm or cold
    return any(_effect(statement) for statement in tree.body)


def _effect(statement: ast.stmt) -> bool:
    if isinstance(statement, _DEFINITIONS):
        return False
    if isinstance(statement, ast.Expr):
        return not isinstance(statement.value, ast.Constant)  # a docstring is no effect
    if isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
        targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
        return any(not isinstance(target, ast.Name | ast.Tuple) for target in targets)
    if isinstance(statement, ast.If):
        if _is_main_guard(statement.test):
            return any(_effect(inner) for inner in statement.orelse)
        return any(_effect(inner) for inner in (*statement.body, *statement.orelse))
    if isinstance(statement, ast.Try):
        inner_statements = [*statement.body, *statement.orelse, *statement.finalbody]
        for handler in statement.handlers:
            inner_statements += handler.body
        return any(_effect(inner) for inner in inner_statements)
    return True  # for, while, with, del, global, match ...


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


def changed_functions(original: str | None, changed: str) -> list[tuple[int, int]] | None:
    """The line spans (in `original`) of the functions a change falls in, innermost each; None
    when some part of it is outside every function (module or class level, or a new file):
    then any test may see it."""
    if original is None:
        return None
    try:
        tree = ast.parse(original)
    except SyntaxError:
        return None
    functions = [
        (_first_line(node), node.end_lineno or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]
    spans: list[tuple[int, int]] = []
    for first, last in _changed_lines(original, changed):
        inside = [span for span in functions if span[0] <= first and last <= span[1]]
        if not inside:
            return None
        innermost = min(inside, key=lambda span: span[1] - span[0])
        if innermost not in spans:
            spans.append(innermost)
    return spans


def _first_line(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    return min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])


def _changed_lines(original: str, changed: str) -> Iterable[tuple[int, int]]:
    """Each changed region as the first and last original line (1-based) it replaces; an
    insertion as the lines on either side of it (0 or one past the end at the file's ends)."""
    before, after = original.splitlines(), changed.splitlines()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, start, end, _, _ in matcher.get_opcodes():
        if tag == "insert":
            yield start, start + 1
        elif tag != "equal":
            yield start + 1, end


def third_party_imports(sources: Iterable[str], local: frozenset[str]) -> list[str]:
    """Top-level module names the sources import at their top level, less the repository's
    own (`local`) and `__future__`: what a worker may import once for every run."""
    names: dict[str, None] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for statement in tree.body:
            if isinstance(statement, ast.Import):
                found = [alias.name.split(".")[0] for alias in statement.names]
            elif isinstance(statement, ast.ImportFrom) and not statement.level and statement.module:
                found = [statement.module.split(".")[0]]
            else:
                continue
            for name in found:
                if name not in local and name != "__future__":
                    names.setdefault(name, None)
    return list(names)
