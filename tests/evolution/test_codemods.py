"""Modernisation codemods: each rewrites what is safe and leaves everything else alone."""

from __future__ import annotations

import pytest

from app.evolution.codemods import EmptyDictCall, PercentFormatToFString, TypingAliasesToBuiltins


def test_typing_aliases_become_builtins_and_unused_imports_go() -> None:
    before = (
        "from typing import Dict, List, Optional\n\n"
        "def f(x: List[int], y: Dict[str, int]) -> Optional[List[str]]:\n"
        "    return None\n"
    )
    after = (
        "from typing import Optional\n\n"
        "def f(x: list[int], y: dict[str, int]) -> Optional[list[str]]:\n"
        "    return None\n"
    )
    assert TypingAliasesToBuiltins().apply(before) == after


def test_typing_attribute_access_is_modernised_and_a_fully_unused_import_removed() -> None:
    before = "import typing\nfrom typing import Tuple\n\nx: typing.List[Tuple[int, int]] = []\n"
    after = "import typing\n\nx: list[tuple[int, int]] = []\n"
    assert TypingAliasesToBuiltins().apply(before) == after


def test_typing_aliases_stay_when_the_builtin_is_shadowed() -> None:
    source = "from typing import List\n\nlist = None\nx: List[int] = []\n"
    assert TypingAliasesToBuiltins().apply(source) == source


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('msg = "%s is %r" % (name, user.id)\n', 'msg = f"{name} is {user.id!r}"\n'),
        ("msg = '{%s}' % (name,)\n", "msg = f'{{{name}}}'\n"),
    ],
)
def test_percent_formatting_with_plain_arguments_becomes_an_f_string(
    before: str, after: str
) -> None:
    assert PercentFormatToFString().apply(before) == after


@pytest.mark.parametrize(
    "source",
    [
        'msg = "%s" % value\n',  # value may be a tuple: the meaning would change
        'msg = "%d items" % (count,)\n',  # %d converts: not a plain substitution
        'msg = "%s%%" % (rate,)\n',
        'msg = "%s" % (compute(),)\n',
        'msg = b"%s" % (data,)\n',
    ],
)
def test_percent_formatting_that_is_not_plain_is_left_alone(source: str) -> None:
    assert PercentFormatToFString().apply(source) == source


def test_empty_dict_calls_become_literals_unless_dict_is_rebound() -> None:
    assert EmptyDictCall().apply("a = dict()\nb = dict(x=1)\n") == "a = {}\nb = dict(x=1)\n"
    shadowed = "from collections import OrderedDict as dict\na = dict()\n"
    assert EmptyDictCall().apply(shadowed) == shadowed
