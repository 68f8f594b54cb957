"""Constant flips: `True` for `False` and `0` for `1`."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search.site import Edit, Site

_FLIPPED_NAMES = {"True": "False", "False": "True"}
_FLIPPED_INTEGERS = {"0": "1", "1": "0"}


def edits(site: Site) -> Iterator[Edit]:
    for node in site.nodes:
        if isinstance(node, cst.Name) and node.value in _FLIPPED_NAMES:
            value = _FLIPPED_NAMES[node.value]
        elif isinstance(node, cst.Integer) and node.value in _FLIPPED_INTEGERS:
            value = _FLIPPED_INTEGERS[node.value]
        else:
            continue
        yield Edit(
            operator="constant",
            description=f"replace `{node.value}` with `{value}`",
            weight=18,
            target=node,
            replacement=node.with_changes(value=value),
        )
