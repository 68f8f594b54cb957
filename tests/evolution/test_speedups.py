"""Speedup codemods rewrite only what cannot change behaviour: before/after per transform."""

from __future__ import annotations

import textwrap

import pytest

from app.evolution.speedups import AppendLoopToComprehension, MembershipInStringSet

append = AppendLoopToComprehension()
membership = MembershipInStringSet()


def test_an_append_loop_in_a_function_becomes_a_comprehension_with_its_filter() -> None:
    source = textwrap.dedent(
        """\
        def pick(rows):
            # squares of the evens, and every row's label
            squares = []
            for n in rows:
                if n % 2 == 0:
                    squares.append(n * n)
            labels = []
            for i, row in enumerate(rows):
                labels.append(f"{i}: {row}")
            return squares, labels
        """
    )
    assert append.apply(source) == textwrap.dedent(
        """\
        def pick(rows):
            # squares of the evens, and every row's label
            squares = [n * n for n in rows if n % 2 == 0]
            labels = [f"{i}: {row}" for i, row in enumerate(rows)]
            return squares, labels
        """
    )


@pytest.mark.parametrize(
    "body",
    [
        # the loop variable is read after the loop: a comprehension would not leave it behind
        "out = []\n    for n in rows:\n        out.append(n)\n    return out, n\n",
        # the list is read while it is built
        "out = []\n    for n in rows:\n        out.append(len(out) + n)\n    return out\n",
        # more than the append in the loop, or an else clause
        "out = []\n    for n in rows:\n        out.append(n)\n        print(n)\n    return out\n",
        "out = []\n    for n in rows:\n        out.append(n)\n    else:\n        pass\n"
        "    return out\n",
        # a comment in the loop would be lost
        "out = []\n    for n in rows:\n        out.append(n)  # keep\n    return out\n",
        # something else between the empty list and the loop
        "out = []\n    x = 1\n    for n in rows:\n        out.append(n)\n    return out\n",
        # a handler could see the half-built list
        "try:\n        out = []\n        for n in rows:\n            out.append(n)\n"
        "    except ValueError:\n        pass\n    return out\n",
        # suspension or assignment inside the element
        "out = []\n    for n in rows:\n        out.append((y := n))\n    return out\n",
    ],
)
def test_an_append_loop_that_a_comprehension_could_change_is_left_alone(body: str) -> None:
    source = f"def build(rows):\n    {body}"
    assert append.apply(source) == source


def test_append_loops_at_module_or_class_level_are_left_alone() -> None:
    source = "out = []\nfor n in range(3):\n    out.append(n)\n\n\nclass C:\n    xs = []\n"
    source += "    for i in range(3):\n        xs.append(i)\n"
    assert append.apply(source) == source


def test_membership_in_three_or_more_string_literals_tests_a_set() -> None:
    source = (
        'def known(kind):\n    return kind in ["a", "b", "c"] or kind not in ("x", \'y\', "z")\n'
    )
    assert membership.apply(source) == (
        'def known(kind):\n    return kind in {"a", "b", "c"} or kind not in {"x", \'y\', "z"}\n'
    )


@pytest.mark.parametrize(
    "expression",
    [
        'kind in ["a", "b"]',  # too short to gain
        'kind in ["a", 1, "c"]',  # not all strings
        'kind in [b"a", b"b", b"c"]',  # bytes
        'kind in ["a", name, "c"]',  # not all literals
        'kind == ["a", "b", "c"]',  # not membership
        'kind in ["a", *more, "c"]',
    ],
)
def test_other_comparisons_are_left_alone(expression: str) -> None:
    source = f"def known(kind, name, more):\n    return {expression}\n"
    assert membership.apply(source) == source
