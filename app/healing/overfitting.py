"""Guards against fixes that overfit the tests, and the size of an edit (the smaller preferred).

A candidate that passes the tests may still be wrong in two well-known ways (Qi et al. 2015,
"An analysis of patch plausibility and correctness"): it singles out the inputs the tests use
(`if name == "alice": return 3`), or it deletes the functionality the failing test runs, so the
test has nothing left to fail on. Both are refused before the candidate is validated.
"""

from __future__ import annotations

import ast
import difflib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from app.healing.candidates import Candidate, RepairContext
from app.healing.localise import RepositoryFiles, is_test_file

# Literals too common to say anything about where they came from.
_TRIVIAL: frozenset[object] = frozenset({-1, 0, 1, "", b""})  # 0.0 == 0
_EMPTY_LINES = frozenset({"", "pass", "...", "return", "return None"})


@dataclass(frozen=True)
class OverfittingGuard:
    """What a case's failing tests compare against, and which repository lines they run."""

    test_literals: frozenset[object]
    exercised: frozenset[tuple[str, int]]
    functions: frozenset[tuple[str, int]]

    @classmethod
    def for_case(cls, context: RepairContext) -> OverfittingGuard:
        test_files = {test.node_id.split("::", 1)[0] for test in context.incident.failing_tests}
        literals: set[object] = set()
        for path in sorted(test_files):
            try:
                literals.update(_literals(ast.parse(context.files.read(path))))
            except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
                continue  # a test file we cannot read has no literals to take
        exercised = frozenset(
            (location.path, location.line)
            for location in context.locations
            if location.frame is not None and not is_test_file(location.path)
        )
        functions = frozenset(
            (location.path, location.line)
            for location in context.locations
            if not is_test_file(location.path)
        )
        return cls(frozenset(literals) - _TRIVIAL, exercised, functions)

    def refusal(self, candidate: Candidate, files: RepositoryFiles) -> str | None:
        """Why the candidate overfits the tests, or None."""
        for path, new in candidate.changes.items():
            try:
                old = files.read(path)
            except (OSError, ValueError):
                continue  # a new file deletes nothing and compares with nothing old
            reason = self._literal_reason(old, new) or self._deletion_reason(path, old, new)
            if reason is not None:
                return reason
        return None

    def _literal_reason(self, old: str, new: str) -> str | None:
        if not self.test_literals:
            return None
        try:
            added = Counter(_compared(ast.parse(new))) - Counter(_compared(ast.parse(old)))
        except SyntaxError:
            return None  # validation reports a candidate that does not parse
        for value in added:
            if value in self.test_literals:
                return f"compares against {value!r}, a literal taken from the failing tests"
        return None

    def _deletion_reason(self, path: str, old: str, new: str) -> str | None:
        old_lines, new_lines = old.splitlines(), new.splitlines()
        deleted = _deleted_lines(old_lines, new_lines)
        for file, line in sorted(self.exercised):
            if file == path and line in deleted:
                return (
                    f"deletes {path}:{line} (`{old_lines[line - 1].strip()}`), "
                    "the code the failing test runs"
                )
        try:
            before, after = _bodies(ast.parse(old)), _bodies(ast.parse(new))
        except SyntaxError:
            return None
        for file, line in sorted(self.functions):
            if file != path:
                continue
            for name, (start, end, effective) in before.items():
                emptied = name in after and effective and not after[name][2]
                if start <= line <= end and emptied:
                    return f"empties `{name}`, the function the failing test runs (line {line})"
        return None


def edit_size(candidate: Candidate, files: RepositoryFiles) -> tuple[int, int]:
    """(lines changed, characters changed) over the candidate's files: smaller is preferred."""
    lines = characters = 0
    for path, new in candidate.changes.items():
        try:
            old = files.read(path)
        except (OSError, ValueError):
            old = ""
        matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            lines += max(i2 - i1, j2 - j1)
            removed = "\n".join(old.splitlines()[i1:i2])
            inserted = "\n".join(new.splitlines()[j1:j2])
            characters += _character_distance(removed, inserted)
    return lines, characters


def _character_distance(removed: str, inserted: str) -> int:
    matcher = difflib.SequenceMatcher(None, removed, inserted, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    return max(len(removed), len(inserted)) - same


def _deleted_lines(old: list[str], new: list[str]) -> set[int]:
    """1-based lines of `old` removed outright, or replaced by nothing that does anything."""
    deleted: set[int] = set()
    remaining = Counter(line.strip() for line in new)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or tag == "insert":
            continue
        replaced_by_nothing = tag == "delete" or all(
            line.strip() in _EMPTY_LINES or line.strip().startswith("#") for line in new[j1:j2]
        )
        if not replaced_by_nothing:
            continue
        for index in range(i1, i2):
            text = old[index].strip()
            if remaining[text] > 0:
                remaining[text] -= 1  # moved elsewhere (swapped statements), not deleted
                continue
            deleted.add(index + 1)
    return deleted


def _literals(tree: ast.AST) -> Iterator[object]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and _counted(node.value):
            yield node.value


def _counted(value: object) -> bool:
    return isinstance(value, str | bytes | int | float) and not isinstance(value, bool)


def _compared(tree: ast.AST) -> Iterator[object]:
    """Literals the code compares with: operands of comparisons (`in (…)` members too) and
    `case` values."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            yield from _constants((node.left, *node.comparators))
        elif isinstance(node, ast.MatchValue):
            yield from _constants((node.value,))


def _constants(nodes: Iterable[ast.expr]) -> Iterator[object]:
    for node in nodes:
        if isinstance(node, ast.Constant) and _counted(node.value):
            yield node.value
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            if isinstance(node.operand, ast.Constant) and _counted(node.operand.value):
                value = node.operand.value
                if isinstance(value, int | float):
                    yield -value
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            yield from _constants(node.elts)


def _bodies(tree: ast.AST) -> dict[str, tuple[int, int, bool]]:
    """Per function name: its lines and whether its body does anything beyond `pass`, a
    docstring, `...` or `return None`."""
    found: dict[str, tuple[int, int, bool]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            effective = any(not _inert(statement) for statement in node.body)
            found[node.name] = (node.lineno, node.end_lineno or node.lineno, effective)
    return found


def _inert(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return True  # a docstring or `...`
    return isinstance(statement, ast.Return) and (
        statement.value is None
        or (isinstance(statement.value, ast.Constant) and statement.value.value is None)
    )
