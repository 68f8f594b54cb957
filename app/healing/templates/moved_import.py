"""Moved imports: names the standard library moved or renamed (`collections.Mapping` → `.abc`)."""

from __future__ import annotations

import collections.abc
from collections.abc import Iterator

import libcst as cst

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.base import LineView, TemplateContext, TemplateEdit, quoted_name
from app.healing.templates.scope import stdlib_attributes

NAME = "moved_import"

# (old module, old name) → (new module, new name); collections' ABCs are added below.
_MOVED: dict[tuple[str, str], tuple[str, str]] = {
    ("fractions", "gcd"): ("math", "gcd"),
    ("inspect", "getargspec"): ("inspect", "getfullargspec"),
    ("time", "clock"): ("time", "perf_counter"),
    ("string", "letters"): ("string", "ascii_letters"),
    ("string", "lowercase"): ("string", "ascii_lowercase"),
    ("string", "uppercase"): ("string", "ascii_uppercase"),
    ("string", "maketrans"): ("str", "maketrans"),
    ("base64", "encodestring"): ("base64", "encodebytes"),
    ("base64", "decodestring"): ("base64", "decodebytes"),
    ("cgi", "escape"): ("html", "escape"),
    ("os", "getcwdu"): ("os", "getcwd"),
    ("itertools", "ifilter"): ("builtins", "filter"),
    ("itertools", "imap"): ("builtins", "map"),
    ("itertools", "izip"): ("builtins", "zip"),
    ("platform", "linux_distribution"): ("platform", "freedesktop_os_release"),
    ("unittest", "makeSuite"): ("unittest", "defaultTestLoader.loadTestsFromTestCase"),
    ("asyncio", "async"): ("asyncio", "ensure_future"),
}
for _abc in collections.abc.__all__:
    _MOVED[("collections", _abc)] = ("collections.abc", _abc)


def moved_to(module: str, name: str) -> tuple[str, str] | None:
    """Where `module.name` lives now; submodules of `module` are searched too."""
    if (module, name) in _MOVED:
        return _MOVED[(module, name)]
    for submodule in ("abc", "util", "parse", "request", "error"):
        if name in stdlib_attributes(f"{module}.{submodule}"):
            return f"{module}.{submodule}", name
    return None


class MovedImport:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        return _missing(exception) is not None

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        missing = _missing(context.exception)
        if missing is None:
            return
        module, name = missing
        target = moved_to(module, name)
        if target is None:
            return
        view = LineView(context.source, context.line)
        fixed = view.module.visit(_Rewrite(module, name, target))
        if fixed.code != view.module.code:
            yield TemplateEdit(
                NAME,
                f"`{module}.{name}` moved to `{target[0]}.{target[1]}`",
                fixed.code,
            )


def _missing(exception: ExceptionInfo) -> tuple[str, str] | None:
    message = exception.value
    if exception.short_type == "AttributeError":
        module = quoted_name(message, r"^module '([\w.]+)' has no attribute")
        name = quoted_name(message, r"has no attribute '(\w+)'")
    elif exception.short_type == "ImportError":
        module = quoted_name(message, r"from '([\w.]+)'")
        name = quoted_name(message, r"cannot import name '(\w+)'")
    else:
        return None
    return (module, name) if module and name else None


class _Rewrite(cst.CSTTransformer):
    """Rewrites `from old import name` and `old.name` everywhere in the module."""

    def __init__(self, module: str, name: str, target: tuple[str, str]) -> None:
        self.module, self.name = module, name
        self.new_module, self.new_name = target
        self.need_import = False
        self.pending: list[cst.ImportFrom] = []

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        if (
            updated_node.module is None
            or cst.helpers.get_full_name_for_node(updated_node.module) != self.module
        ):
            return updated_node
        if isinstance(updated_node.names, cst.ImportStar):
            return updated_node
        moved = [alias for alias in updated_node.names if alias.evaluated_name == self.name]
        if not moved:
            return updated_node
        kept = [alias for alias in updated_node.names if alias.evaluated_name != self.name]
        alias = moved[0]
        new_alias = alias.with_changes(
            name=cst.Name(self.new_name),
            comma=cst.MaybeSentinel.DEFAULT,
            asname=alias.asname
            or (cst.AsName(name=cst.Name(self.name)) if self.new_name != self.name else None),
        )
        new_import = cst.ImportFrom(module=_dotted(self.new_module), names=[new_alias])
        if not kept:
            return new_import
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        self.pending.append(new_import)  # placed on its own line by leave_SimpleStatementLine
        return updated_node.with_changes(names=kept)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        if not self.pending:
            return updated_node
        added = [cst.SimpleStatementLine(body=[statement]) for statement in self.pending]
        self.pending = []
        return cst.FlattenSentinel([updated_node, *added])

    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        if updated_node.attr.value != self.name:
            return updated_node
        if cst.helpers.get_full_name_for_node(updated_node.value) != self.module:
            return updated_node
        if self.new_module == "builtins":
            return cst.Name(self.new_name)
        self.need_import = self.new_module != self.module
        return _dotted(f"{self.new_module}.{self.new_name}")

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self.need_import or _imports(updated_node, self.new_module):
            return updated_node
        body = list(updated_node.body)
        for index, statement in enumerate(body):
            if isinstance(statement, cst.SimpleStatementLine) and any(
                isinstance(small, cst.Import) for small in statement.body
            ):
                new = cst.SimpleStatementLine(
                    body=[cst.Import(names=[cst.ImportAlias(name=_dotted(self.new_module))])]
                )
                return updated_node.with_changes(body=[*body[: index + 1], new, *body[index + 1 :]])
        new = cst.SimpleStatementLine(
            body=[cst.Import(names=[cst.ImportAlias(name=_dotted(self.new_module))])]
        )
        return updated_node.with_changes(body=[new, *body])


def _dotted(path: str) -> cst.Attribute | cst.Name:
    parts = path.split(".")
    node: cst.Attribute | cst.Name = cst.Name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(value=node, attr=cst.Name(part))
    return node


def _imports(module: cst.Module, dotted: str) -> bool:
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Import) and any(
                    cst.helpers.get_full_name_for_node(alias.name) == dotted
                    for alias in small.names
                ):
                    return True
    return False
