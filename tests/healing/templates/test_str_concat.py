"""str/int mixing converts the number to text first."""

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.str_concat import StrConcat
from tests.healing.templates.helpers import edits_for


def test_number_appended_to_text_is_converted_with_str() -> None:
    before = 'def label(n):\n    return "item #" + n\n'

    edits = edits_for(
        StrConcat(), before, 2, "TypeError", 'can only concatenate str (not "int") to str'
    )

    assert edits[0] == 'def label(n):\n    return "item #" + str(n)\n'


def test_number_first_converts_left_operand() -> None:
    before = "def label(n, suffix):\n    return n + suffix\n"

    edits = edits_for(
        StrConcat(), before, 2, "TypeError", "unsupported operand type(s) for +: 'int' and 'str'"
    )

    assert edits[0] == "def label(n, suffix):\n    return str(n) + suffix\n"
    assert edits[1] == "def label(n, suffix):\n    return n + int(suffix)\n"


def test_unrelated_type_errors_do_not_match() -> None:
    assert not StrConcat().matches(
        ExceptionInfo("TypeError", "unsupported operand type(s) for +: 'int' and 'list'")
    )
