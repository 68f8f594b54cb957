"""The names a module can see, for resolving typos against what really exists."""

from __future__ import annotations

import builtins
import difflib
import importlib
import re
import sys
from collections.abc import Iterable

import libcst as cst


class _Collector(cst.CSTVisitor):
    def __init__(self) -> None:
        self.names: set[str] = set()
        self.attributes: set[str] = set()
        self.imported_modules: dict[str, str] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.names.add(node.name.value)
        self.attributes.add(node.name.value)
        for param in (*node.params.params, *node.params.kwonly_params, *node.params.posonly_params):
            self.names.add(param.name.value)
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                self.names.add(star.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.names.add(node.name.value)

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self._bind(node.target)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._bind(node.target)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind(node.target)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind(node.target)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._bind(node.name)

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = cst.helpers.get_full_name_for_node(alias.name) or ""
            bound = alias.evaluated_alias or dotted.split(".")[0]
            self.names.add(bound)
            self.imported_modules[bound] = dotted if alias.asname else dotted.split(".")[0]

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            self.names.add(alias.evaluated_alias or alias.evaluated_name)

    def _bind(self, target: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self.names.add(target.value)
        elif isinstance(target, cst.Attribute):
            self.attributes.add(target.attr.value)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._bind(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind(target.value)


class ModuleScope:
    """Names bound in a module (any function), attributes it assigns, modules it imports."""

    def __init__(self, module: cst.Module) -> None:
        collector = _Collector()
        module.visit(collector)
        self.names = frozenset(collector.names) | frozenset(dir(builtins))
        self.attributes = frozenset(collector.attributes)
        self.imported_modules = dict(collector.imported_modules)


def stdlib_attributes(module_name: str) -> frozenset[str]:
    """Public names of a standard-library module; never imports anything else."""
    if module_name.split(".")[0] not in sys.stdlib_module_names:
        return frozenset()
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return frozenset()
    return frozenset(name for name in dir(module) if not name.startswith("_"))


def builtin_type_attributes(type_name: str) -> frozenset[str]:
    kind = getattr(builtins, type_name, None)
    if isinstance(kind, type):
        return frozenset(name for name in dir(kind) if not name.startswith("_"))
    return frozenset()


def suggestions(message: str, missing: str, known: Iterable[str]) -> list[str]:
    """Python's own "Did you mean" hint first (tracebacks carry it), then the closest names."""
    found: list[str] = []
    hint = re.search(r"Did you mean:? '?([\w.]+)'?\?", message)
    if hint and hint.group(1) != missing and "." not in hint.group(1):
        found.append(hint.group(1))
    close = difflib.get_close_matches(missing, sorted(set(known) - {missing}), n=3, cutoff=0.7)
    found.extend(name for name in close if name not in found)
    return found
