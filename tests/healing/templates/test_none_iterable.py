"""`TypeError` iterating None: iterate nothing, or leave early with the function's empty kind."""

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.none_iterable import NoneIterable
from tests.healing.templates.helpers import dedent, edits_for


def test_membership_in_none_tests_an_empty_tuple_instead() -> None:
    before = """\
def has_tag(product, tag):
    tags = product.get("tags")
    return tag in tags
"""
    edits = edits_for(
        NoneIterable(), before, 3, "TypeError", "argument of type 'NoneType' is not iterable"
    )

    assert edits[0] == dedent("""\
        def has_tag(product, tag):
            tags = product.get("tags")
            return tag in (tags or ())
        """)
    assert "    if tags is None:\n        return False\n    return tag in tags\n" in edits[1]


def test_a_call_that_iterates_none_gets_an_empty_list() -> None:
    before = """\
def labels(post):
    return ", ".join(sorted(post.tags))
"""
    edits = edits_for(NoneIterable(), before, 2, "TypeError", "'NoneType' object is not iterable")

    assert 'return ", ".join(sorted((post.tags or [])))' in edits[0]
    assert '    if post.tags is None:\n        return ""\n' in edits[1]


def test_unpacking_none_unpacks_nones() -> None:
    before = """\
def span(bounds):
    low, high = bounds
    return high - low
"""
    edits = edits_for(
        NoneIterable(), before, 2, "TypeError", "cannot unpack non-iterable NoneType object"
    )

    assert "    low, high = (bounds or (None, None))\n" in edits[0]
    assert any(edit.startswith("def span(bounds):\n    if bounds is None:\n") for edit in edits)


def test_other_type_errors_are_not_claimed() -> None:
    assert not NoneIterable().matches(ExceptionInfo("TypeError", "'int' object is not iterable"))
    assert not NoneIterable().matches(
        ExceptionInfo("TypeError", "'NoneType' object is not callable")
    )
