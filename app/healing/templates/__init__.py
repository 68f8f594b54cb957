"""Fix templates: one libcst transform per exception kind, cheapest and most likely first."""

from app.healing.templates.attribute_typo import AttributeTypo
from app.healing.templates.base import Template, TemplateContext, TemplateEdit
from app.healing.templates.empty_collection import EmptyCollection
from app.healing.templates.empty_sequence import EmptySequence
from app.healing.templates.exhausted_iterator import ExhaustedIterator
from app.healing.templates.missing_key import MissingKey
from app.healing.templates.moved_import import MovedImport
from app.healing.templates.name_typo import NameTypo
from app.healing.templates.none_guard import NoneGuard
from app.healing.templates.none_iterable import NoneIterable
from app.healing.templates.runaway_recursion import RunawayRecursion
from app.healing.templates.str_concat import StrConcat
from app.healing.templates.unbound_local import UnboundLocal


def catalogue() -> list[Template]:
    """Every template; a moved import is tried before a typo on the same AttributeError, and
    the generic None and empty-collection guards before their observed-kind variants."""
    return [
        MovedImport(),
        NoneGuard(),
        NoneIterable(),
        MissingKey(),
        EmptyCollection(),
        EmptySequence(),
        ExhaustedIterator(),
        UnboundLocal(),
        NameTypo(),
        AttributeTypo(),
        StrConcat(),
        RunawayRecursion(),
    ]


__all__ = ["Template", "TemplateContext", "TemplateEdit", "catalogue"]
