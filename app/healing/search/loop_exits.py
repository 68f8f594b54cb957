"""Swapped loop exits: `continue` where `break` was meant, and the reverse (an item that should
be skipped ends the whole loop, or one that should end it is only skipped)."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search.site import Edit, Site


def edits(site: Site) -> Iterator[Edit]:
    for node in site.nodes:
        if isinstance(node, cst.Break):
            yield _swap(node, "break", cst.Continue(semicolon=node.semicolon))
        elif isinstance(node, cst.Continue):
            yield _swap(node, "continue", cst.Break(semicolon=node.semicolon))


def _swap(node: cst.Break | cst.Continue, old: str, new: cst.Break | cst.Continue) -> Edit:
    other = "continue" if isinstance(new, cst.Continue) else "break"
    return Edit(
        operator="loop_control",
        description=f"replace `{old}` with `{other}`",
        weight=20,
        target=node,
        replacement=new,
    )
