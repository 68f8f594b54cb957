"""Finding the mutation site: the statement covering a line, and the expressions on that line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import libcst as cst
from libcst.metadata import (
    CodeRange,
    ExperimentalReentrantCodegenProvider,
    MetadataWrapper,
    PositionProvider,
    Scope,
    ScopeProvider,
)
from libcst.metadata.reentrant_codegen import CodegenPartial

from app.errors import PermanentError
from app.healing.search.site import Site


@dataclass(frozen=True, eq=False)
class _Analysis:
    module: cst.Module
    positions: Mapping[cst.CSTNode, CodeRange]
    scopes: Mapping[cst.CSTNode, Scope | None]
    partials: Mapping[cst.CSTNode, CodegenPartial]


# Callers search several suspicious lines of one file in turn; parsing and metadata are most of
# the cost, and libcst trees are immutable, so one analysis per recent source is shared.
@lru_cache(maxsize=8)
def _analyse(source: str) -> _Analysis:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise PermanentError(f"cannot mutate a module that does not parse: {error}") from error
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    return _Analysis(
        module=module,
        positions=wrapper.resolve(PositionProvider),
        scopes=wrapper.resolve(ScopeProvider),
        partials=wrapper.resolve(ExperimentalReentrantCodegenProvider),
    )


def build_site(source: str, line: int) -> Site:
    """Parse `source` and find the statement covering `line` (1-based)."""
    analysis = _analyse(source)
    positions = analysis.positions
    found = _locate(analysis.module.body, positions, line, function=None, in_loop=False)
    if found is None:
        raise PermanentError(f"line {line} holds no statement")
    anchor, siblings, function, in_loop, enclosing = found
    return Site(
        source=source,
        line=line,
        module=analysis.module,
        anchor=anchor,
        roots=tuple(_roots(anchor, positions, line)),
        positions=positions,
        scopes=analysis.scopes,
        partial=analysis.partials[anchor],
        anchor_is_sole=len(siblings) == 1,
        function=function,
        in_loop=in_loop,
        siblings=tuple(siblings),
        enclosing=enclosing,
        partials=analysis.partials,
    )


_Found = tuple[
    cst.BaseStatement,
    Sequence[cst.BaseStatement],
    cst.FunctionDef | None,
    bool,
    tuple[cst.BaseStatement, ...],
]


def _locate(
    body: Sequence[cst.BaseStatement],
    positions: Mapping[cst.CSTNode, CodeRange],
    line: int,
    function: cst.FunctionDef | None,
    in_loop: bool,
    enclosing: tuple[cst.BaseStatement, ...] = (),
) -> _Found | None:
    for statement in body:
        span = positions[statement]
        if not span.start.line <= line <= span.end.line:
            continue
        inner_function = statement if isinstance(statement, cst.FunctionDef) else function
        inner_loop = isinstance(statement, cst.For | cst.While) or (
            in_loop and not isinstance(statement, cst.FunctionDef)
        )
        if isinstance(statement, cst.FunctionDef):
            inner_loop = False
        for block in _blocks(statement):
            deeper = _locate(
                block.body, positions, line, inner_function, inner_loop, (*enclosing, statement)
            )
            if deeper is not None:
                return deeper
        return statement, body, function, in_loop, enclosing
    return None


def _blocks(node: cst.CSTNode) -> Iterator[cst.IndentedBlock]:
    for child in node.children:
        if isinstance(child, cst.IndentedBlock):
            yield child
        elif not isinstance(child, cst.BaseStatement) or isinstance(child, cst.If):
            # `elif` clauses are If nodes hanging off `orelse`; their blocks belong here too.
            yield from _blocks(child)


def _roots(
    anchor: cst.BaseStatement, positions: Mapping[cst.CSTNode, CodeRange], line: int
) -> list[cst.CSTNode]:
    if isinstance(anchor, cst.SimpleStatementLine):
        candidates: list[cst.CSTNode] = list(anchor.body)
    elif isinstance(anchor, cst.FunctionDef | cst.ClassDef):
        candidates = [param.default for param in _params(anchor) if param.default is not None]
    else:
        candidates = list(_header_expressions(anchor))
    on_line = [
        node
        for node in candidates
        if positions[node].start.line <= line <= positions[node].end.line
    ]
    return on_line or candidates


def _params(definition: cst.FunctionDef | cst.ClassDef) -> list[cst.Param]:
    if isinstance(definition, cst.ClassDef):
        return []
    params = definition.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def _header_expressions(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for child in node.children:
        if isinstance(child, cst.IndentedBlock):
            continue
        if isinstance(child, cst.SimpleStatementSuite):
            yield from child.body
        elif isinstance(child, cst.BaseExpression):
            yield child
        else:
            yield from _header_expressions(child)


def statement_lines(source: str, lines: Sequence[int]) -> list[int]:
    """The first lines of the other statements in the functions that hold `lines` (their whole
    bodies, nested blocks included), nearest to one of `lines` first."""
    analysis = _analyse(source)
    positions = analysis.positions
    wanted = set(lines)
    found: set[int] = set()
    for function in _functions(analysis.module):
        span = positions[function]
        if not any(span.start.line <= line <= span.end.line for line in wanted):
            continue
        for statement in _statements(function):
            found.add(positions[statement].start.line)
    found -= wanted
    return sorted(found, key=lambda line: (min(abs(line - other) for other in wanted), line))


def _functions(module: cst.Module) -> Iterator[cst.FunctionDef]:
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.FunctionDef):
            yield node
        if isinstance(node, cst.BaseStatement | cst.Module | cst.IndentedBlock):
            stack.extend(node.children)


def _statements(function: cst.FunctionDef) -> Iterator[cst.BaseStatement]:
    for block in _blocks(function):
        for statement in block.body:
            yield statement
            if not isinstance(statement, cst.FunctionDef | cst.ClassDef):
                yield from _statements_in(statement)


def _statements_in(statement: cst.BaseStatement) -> Iterator[cst.BaseStatement]:
    for block in _blocks(statement):
        for inner in block.body:
            yield inner
            if not isinstance(inner, cst.FunctionDef | cst.ClassDef):
                yield from _statements_in(inner)
