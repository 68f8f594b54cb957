"""What kind of value the code shows an expression, a variable or a function's return to be."""

import libcst as cst

from app.healing.value_kinds import (
    assigned_kinds,
    compatible,
    expression_kind,
    observed_return_kind,
)


def _function(source: str) -> cst.FunctionDef:
    module = cst.parse_module(source)
    function = module.body[0]
    assert isinstance(function, cst.FunctionDef)
    return function


def test_literals_and_well_known_calls_have_kinds() -> None:
    cases = {
        "[x for x in xs]": "list",
        "sorted(xs)": "list",
        "{}": "dict",
        "set()": "set",
        "''.join(parts)": "str",
        'f"{x}"': "str",
        "len(xs)": "int",
        "total / count": "float",
        "a < b": "bool",
        "not ready": "bool",
        "text.split()": "list",
        "x if flag else None": None,
        "b'raw'": None,
        "compute(x)": None,
    }
    for text, kind in cases.items():
        assert expression_kind(cst.parse_expression(text)) == kind, text


def test_the_observed_return_kind_reads_returns_through_local_variables() -> None:
    function = _function(
        "def names(people):\n"
        "    found = []\n"
        "    for person in people:\n"
        "        found.append(person.name)\n"
        "    return found\n"
    )
    assert observed_return_kind(function) == "list"


def test_an_annotation_outranks_what_the_returns_show() -> None:
    function = _function("def count(items) -> int:\n    return compute(items)\n")
    assert observed_return_kind(function) == "int"


def test_a_function_that_returns_only_none_or_unknowns_has_no_kind() -> None:
    assert observed_return_kind(_function("def f(x):\n    return g(x)\n")) is None
    assert observed_return_kind(_function("def f(x):\n    return None\n")) is None


def test_variables_bound_to_different_kinds_have_none() -> None:
    kinds = assigned_kinds(
        _function(
            "def f(limit: int, label='x'):\n"
            "    value = 1\n"
            "    value = 'one'\n"
            "    total = 0\n"
            "    total = 1.5\n"
        )
    )
    assert kinds == {"limit": "int", "label": "str", "total": "float"}


def test_numbers_are_compatible_with_each_other_and_unknowns_with_anything() -> None:
    assert compatible("int", "float")
    assert compatible(None, "list")
    assert not compatible("str", "list")
