"""Safe modernisation codemods, one libcst transform each: typing aliases, %-format, dict()."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import libcst as cst
from libcst import matchers as m

_TYPING_ALIASES = {
    "List": "list",
    "Dict": "dict",
    "Set": "set",
    "FrozenSet": "frozenset",
    "Tuple": "tuple",
    "Type": "type",
}


class Codemod(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    def apply(self, source: str) -> str:
        """The modernised source; `source` itself when nothing applies or it is not safe."""
        ...


def _rebinds(module: cst.Module, name: str) -> bool:
    """Whether the module binds `name` itself anywhere (so the builtin may be shadowed)."""
    binders = m.FunctionDef(name=m.Name(name)) | m.ClassDef(name=m.Name(name))
    targets = m.AssignTarget(target=m.Name(name)) | m.Param(name=m.Name(name))
    aliases = m.ImportAlias(asname=m.AsName(name=m.Name(name))) | m.ImportAlias(name=m.Name(name))
    found = m.findall(module, binders | targets | aliases | m.AnnAssign(target=m.Name(name)))
    return bool(found)


class _TypingAliases(cst.CSTTransformer):
    def __init__(self, imported: dict[str, str]) -> None:
        self.imported = imported  # local name -> builtin

    def leave_Subscript(
        self, original_node: cst.Subscript, updated_node: cst.Subscript
    ) -> cst.BaseExpression:
        value = updated_node.value
        if isinstance(value, cst.Name) and value.value in self.imported:
            return updated_node.with_changes(value=cst.Name(self.imported[value.value]))
        if (
            m.matches(value, m.Attribute(value=m.Name("typing")))
            and isinstance(value, cst.Attribute)
            and value.attr.value in _TYPING_ALIASES
        ):
            return updated_node.with_changes(value=cst.Name(_TYPING_ALIASES[value.attr.value]))
        return updated_node


class _DropNames(cst.CSTTransformer):
    def __init__(self, unused: set[str]) -> None:
        self.unused = unused

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom | cst.RemovalSentinel:
        module = updated_node.module
        typing = isinstance(module, cst.Name) and module.value == "typing"
        if not typing or isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        kept = [a for a in updated_node.names if a.evaluated_name not in self.unused]
        if not kept:
            return cst.RemoveFromParent()
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated_node.with_changes(names=kept)


@dataclass(frozen=True)
class TypingAliasesToBuiltins:
    """`List[int]` → `list[int]` (PEP 585), dropping the typing imports left unused."""

    name: str = "typing_builtins"
    title: str = "Use built-in generics instead of typing aliases"

    def apply(self, source: str) -> str:
        module = cst.parse_module(source)
        imported: dict[str, str] = {}
        for node in m.findall(module, m.ImportFrom(module=m.Name("typing"))):
            assert isinstance(node, cst.ImportFrom)
            if isinstance(node.names, cst.ImportStar):
                continue
            for alias in node.names:
                if alias.asname is None and alias.evaluated_name in _TYPING_ALIASES:
                    imported[alias.evaluated_name] = _TYPING_ALIASES[alias.evaluated_name]
        if any(_rebinds(module, builtin) for builtin in imported.values()):
            return source
        updated = module.visit(_TypingAliases(imported))
        # names still referenced outside the import itself stay imported
        unused = {name for name in imported if _references(updated, name) == 0}
        return updated.visit(_DropNames(unused)).code if unused else updated.code


def _references(module: cst.Module, name: str) -> int:
    in_imports = sum(
        1
        for node in m.findall(module, m.ImportAlias(name=m.Name(name)))
        if isinstance(node, cst.ImportAlias)
    )
    return len(m.findall(module, m.Name(name))) - in_imports


_SPEC = re.compile(r"%(.)")


class _PercentToFString(cst.CSTTransformer):
    def leave_BinaryOperation(
        self, original_node: cst.BinaryOperation, updated_node: cst.BinaryOperation
    ) -> cst.BaseExpression:
        if not isinstance(updated_node.operator, cst.Modulo):
            return updated_node
        left, right = updated_node.left, updated_node.right
        if not isinstance(left, cst.SimpleString) or not isinstance(right, cst.Tuple):
            return updated_node  # `"%s" % x` changes meaning when x is a tuple: leave it
        if left.prefix.lower() not in ("",) or '"""' in left.value or "'''" in left.value:
            return updated_node
        args = [element.value for element in right.elements]
        if not all(isinstance(a, cst.Name | cst.Attribute) for a in args):
            return updated_node
        body = left.value[1:-1]
        specs = _SPEC.findall(body)
        if len(specs) != len(args) or any(spec not in "sr" for spec in specs):
            return updated_node  # %d, %f, %% and friends convert or escape: not ours
        quote = left.value[0]
        parts = _SPEC.split(body)
        text = parts[0].replace("{", "{{").replace("}", "}}")
        for i, arg in enumerate(args):
            code = cst.Module([]).code_for_node(arg)
            if quote in code or "\\" in code:
                return updated_node
            conversion = "!r" if parts[2 * i + 1] == "r" else ""
            rest = parts[2 * i + 2].replace("{", "{{").replace("}", "}}")
            text += "{" + code + conversion + "}" + rest
        return cst.parse_expression(f"f{quote}{text}{quote}")


@dataclass(frozen=True)
class PercentFormatToFString:
    """`"%s and %r" % (a, b.c)` → `f"{a} and {b.c!r}"`, only for plain names and attributes."""

    name: str = "percent_fstring"
    title: str = "Use f-strings instead of %-formatting"

    def apply(self, source: str) -> str:
        return cst.parse_module(source).visit(_PercentToFString()).code


class _EmptyDictLiteral(cst.CSTTransformer):
    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if m.matches(updated_node, m.Call(func=m.Name("dict"), args=[])):
            return cst.Dict([])
        return updated_node


@dataclass(frozen=True)
class EmptyDictCall:
    """`dict()` → `{}` where the module does not rebind `dict`."""

    name: str = "empty_dict"
    title: str = "Use {} instead of dict()"

    def apply(self, source: str) -> str:
        module = cst.parse_module(source)
        if _rebinds(module, "dict"):
            return source
        return module.visit(_EmptyDictLiteral()).code


def catalogue() -> list[Codemod]:
    return [TypingAliasesToBuiltins(), PercentFormatToFString(), EmptyDictCall()]
