"""Warm validation: candidates run in forked children of one sandboxed worker per case, with
pytest imported once, each passing one confirmed by the cold runs."""

from app.healing.warm.session import WarmValidation

__all__ = ["WarmValidation"]
