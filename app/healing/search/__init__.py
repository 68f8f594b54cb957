"""Test-guided search: small, likely edits at a suspicious line, one libcst edit each."""

from app.healing.search.generate import OPERATORS, Mutant, mutants, single_edits
from app.healing.search.locate import build_site
from app.healing.search.site import Edit, Site

__all__ = ["OPERATORS", "Edit", "Mutant", "Site", "build_site", "mutants", "single_edits"]
