"""Test-guided search: small, likely edits at a suspicious line, one libcst edit each."""

from app.healing.search.generate import (
    ALL_OPERATORS,
    OPERATORS,
    WIDE_OPERATORS,
    Mutant,
    SearchRings,
    mutants,
    single_edits,
)
from app.healing.search.locate import build_site
from app.healing.search.site import Edit, Site

__all__ = [
    "ALL_OPERATORS",
    "OPERATORS",
    "WIDE_OPERATORS",
    "Edit",
    "Mutant",
    "SearchRings",
    "Site",
    "build_site",
    "mutants",
    "single_edits",
]
