"""Structured LLM edits: parsed strictly, applied with libcst, refused when unsafe."""

from __future__ import annotations

import json
import textwrap

import pytest

from app.errors import PermanentError
from app.healing.llm_edits import StructuredEdit, apply_edit, parse_llm_edit

SHIPPING = textwrap.dedent(
    '''
    """Shipping costs."""

    FREE_OVER = 50


    class Quote:
        def __init__(self, weight, subtotal):
            self.weight = weight
            self.subtotal = subtotal

        @property
        def cost(self):
            # Heavy parcels pay per kilo.
            if self.subtotal > FREE_OVER:
                return 0
            return 5 + self.weight * 2


    def describe(quote):
        return f"{quote.cost} EUR"
    '''
).lstrip()


def answer(**fields: object) -> str:
    return json.dumps(fields)


def test_bare_json_answer_is_parsed() -> None:
    edit = parse_llm_edit(
        answer(
            file="shipping.py",
            function="Quote.cost",
            replacement="return 0",
            explanation="free shipping applies at the threshold",
        )
    )
    assert edit == StructuredEdit(
        file="shipping.py",
        replacement="return 0",
        function="Quote.cost",
        explanation="free shipping applies at the threshold",
    )


def test_fenced_answer_with_prose_around_it_is_parsed() -> None:
    text = (
        "The comparison excludes the threshold itself.\n\n```json\n"
        + answer(file="shipping.py", start_line=14, end_line=14, replacement="if x:\n    pass")
        + "\n```\nLet me know if you need more."
    )
    edit = parse_llm_edit(text)
    assert (edit.file, edit.start_line, edit.end_line, edit.function) == (
        "shipping.py",
        14,
        14,
        None,
    )


def test_line_range_as_a_pair_is_accepted() -> None:
    edit = parse_llm_edit(answer(file="a.py", line_range=[3, 5], replacement="x = 1"))
    assert (edit.start_line, edit.end_line) == (3, 5)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Sure! Change `>` to `>=` on line 14.", "not the JSON edit"),
        ("```python\nif self.subtotal >= FREE_OVER:\n```", "not the JSON edit"),
        ('["shipping.py", 14]', "JSON object"),
        (answer(replacement="return 0", function="cost"), "names no file"),
        (answer(file="a.py", function="cost"), "no replacement"),
        (answer(file="a.py", replacement="x"), "exactly one of"),
        (
            answer(file="a.py", replacement="x", function="f", start_line=1, end_line=2),
            "exactly one",
        ),
        (answer(file="a.py", replacement="x", start_line=5, end_line=2), "not valid"),
        (answer(file="a.py", replacement="x", start_line=0, end_line=2), "not valid"),
        (answer(file="a.py", replacement="x", start_line=True, end_line=2), "not valid"),
    ],
)
def test_malformed_answers_are_refused_clearly(text: str, reason: str) -> None:
    with pytest.raises(PermanentError, match=reason):
        parse_llm_edit(text)


def test_function_body_is_replaced_and_the_rest_kept_verbatim() -> None:
    edit = StructuredEdit(
        file="shipping.py",
        function="Quote.cost",
        replacement=(
            "# Heavy parcels pay per kilo.\n"
            "if self.subtotal >= FREE_OVER:\n"
            "    return 0\n"
            "return 5 + self.weight * 2\n"
        ),
    )
    fixed = apply_edit(SHIPPING, edit, path="shipping.py")
    assert fixed == SHIPPING.replace("self.subtotal > FREE_OVER", "self.subtotal >= FREE_OVER")


def test_a_whole_def_keeps_the_original_decorators() -> None:
    edit = StructuredEdit(
        file="shipping.py",
        function="cost",
        replacement=(
            "    def cost(self):\n"
            "        if self.subtotal >= FREE_OVER:\n"
            "            return 0\n"
            "        return 5 + self.weight * 2\n"
        ),
    )
    fixed = apply_edit(SHIPPING, edit)
    assert "    @property\n    def cost(self):\n        if self.subtotal >= FREE_OVER:" in fixed
    assert "# Heavy parcels" not in fixed
    assert fixed.endswith('def describe(quote):\n    return f"{quote.cost} EUR"\n')


def test_line_range_replaces_whole_statements_and_keeps_comments_above() -> None:
    start = SHIPPING.splitlines().index("        if self.subtotal > FREE_OVER:") + 1
    edit = StructuredEdit(
        file="shipping.py",
        start_line=start,
        end_line=start + 1,
        replacement="if self.subtotal >= FREE_OVER:\n    return 0",
    )
    assert apply_edit(SHIPPING, edit) == SHIPPING.replace(
        "self.subtotal > FREE_OVER", "self.subtotal >= FREE_OVER"
    )


def test_line_range_that_cuts_a_statement_is_refused() -> None:
    start = SHIPPING.splitlines().index("        if self.subtotal > FREE_OVER:") + 1
    edit = StructuredEdit(file="shipping.py", start_line=start, end_line=start, replacement="x = 1")
    with pytest.raises(PermanentError, match="whole statements"):
        apply_edit(SHIPPING, edit)


@pytest.mark.parametrize(
    ("file", "reason"),
    [
        ("tests/test_shipping.py", "test file"),
        ("test_shipping.py", "test file"),
        ("pkg/conftest.py", "test file"),
        ("../elsewhere/shipping.py", "outside the repository"),
        ("/etc/shipping.py", "outside the repository"),
        ("billing.py", "code shown was shipping.py"),
    ],
)
def test_edits_of_tests_or_other_files_are_refused(file: str, reason: str) -> None:
    edit = StructuredEdit(file=file, function="describe", replacement="return ''")
    with pytest.raises(PermanentError, match=reason):
        apply_edit(SHIPPING, edit, path="shipping.py")


def test_unknown_or_ambiguous_functions_are_refused() -> None:
    with pytest.raises(PermanentError, match="no such function"):
        apply_edit(SHIPPING, StructuredEdit(file="s.py", function="price", replacement="return 1"))
    twice = SHIPPING + "\n\nclass Other:\n    def cost(self):\n        return 1\n"
    with pytest.raises(PermanentError, match="more than one"):
        apply_edit(twice, StructuredEdit(file="s.py", function="cost", replacement="return 1"))


def test_replacement_that_is_not_python_is_refused() -> None:
    edit = StructuredEdit(file="s.py", function="describe", replacement="return f(")
    with pytest.raises(PermanentError, match="not valid Python"):
        apply_edit(SHIPPING, edit)


def test_result_that_does_not_compile_is_refused() -> None:
    # Parses as a statement list, but `return` outside a function does not compile.
    edit = StructuredEdit(file="s.py", start_line=3, end_line=3, replacement="return FREE_OVER")
    with pytest.raises(PermanentError, match="does not compile"):
        apply_edit(SHIPPING, edit)


def test_line_range_past_the_end_is_refused() -> None:
    edit = StructuredEdit(file="s.py", start_line=400, end_line=401, replacement="x = 1")
    with pytest.raises(PermanentError, match="past the file"):
        apply_edit(SHIPPING, edit)
