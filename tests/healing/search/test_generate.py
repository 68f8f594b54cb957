"""Mutant generation as a whole: order, uniqueness, bounds, formatting and validity."""

import difflib

import pytest

from app.errors import PermanentError
from app.healing.search import mutants
from tests.healing.search.helpers import code, line_of

INVENTORY = code(
    '''
    """Stock keeping for a small shop."""

    from dataclasses import dataclass, field


    @dataclass
    class Item:
        name: str
        price: float
        quantity: int = 0
        tags: list[str] = field(default_factory=list)


    class Inventory:
        def __init__(self, items=None):
            self.items = list(items or [])  # keep a private copy

        def restock(self, name, amount):
            for item in self.items:
                if item.name == name and amount > 0:
                    item.quantity += amount
                    return item
            raise KeyError(name)

        def value(self, *, tagged=None):
            total = 0.0
            for index in range(len(self.items)):
                item = self.items[index]
                if tagged is not None and tagged not in item.tags:
                    continue
                total += item.price * (
                    item.quantity - 0
                )
            return round(total, 2)

        def cheapest(self, count=1):
            ordered = sorted(self.items, key=lambda item: (item.price, item.name))
            return ordered[:count] if count > 0 else []
    '''
)


def _all(source: str, line: int, **options: int) -> list[str]:
    return [mutant.source for mutant in mutants(source, line, **options)]


def test_generation_is_deterministic() -> None:
    line = line_of(INVENTORY, "total += item.price")
    first = [(m.operator, m.description, m.source) for m in mutants(INVENTORY, line)]
    second = [(m.operator, m.description, m.source) for m in mutants(INVENTORY, line)]
    assert first == second
    assert len(first) > 20


def test_no_duplicates_and_never_the_unchanged_source() -> None:
    for number in range(1, len(INVENTORY.splitlines()) + 1):
        try:
            found = _all(INVENTORY, number)
        except PermanentError:
            continue
        assert INVENTORY not in found, number
        assert len(found) == len(set(found)), number


def test_every_mutant_of_every_line_compiles() -> None:
    checked = 0
    for number in range(1, len(INVENTORY.splitlines()) + 1):
        try:
            found = _all(INVENTORY, number, max_pairs=20)
        except PermanentError:
            continue
        for source in found:
            compile(source, "inventory.py", "exec")
            checked += 1
    assert checked > 500


def test_edits_stay_on_the_suspicious_statement() -> None:
    line = line_of(INVENTORY, "if item.name == name")
    original = INVENTORY.splitlines()
    entry = line_of(INVENTORY, "for item in self.items:")
    for mutant in mutants(INVENTORY, line, max_pairs=50):
        source = mutant.source
        if "at the start of" in mutant.description:
            # A guard on an input goes before the function's first statement, adding lines only.
            matcher = difflib.SequenceMatcher(None, original, source.splitlines())
            added = [tag for tag in matcher.get_opcodes() if tag[0] != "equal"]
            assert [(tag[0], tag[1]) for tag in added] == [("insert", entry - 1)]
            continue
        changed = [
            tag
            for tag in difflib.SequenceMatcher(None, original, source.splitlines()).get_opcodes()
            if tag[0] != "equal"
        ]
        assert len(changed) == 1
        _, start, end, _, _ = changed[0]
        # Only the `if` header changes (a guard adds lines above it, a removal drops the block).
        assert start >= line - 1 and (end <= line or source.count("\n") < INVENTORY.count("\n"))


def test_comments_and_layout_elsewhere_survive() -> None:
    line = line_of(INVENTORY, "self.items = list(")
    for source in _all(INVENTORY, line, max_pairs=10):
        assert "# keep a private copy" in source or "pass" in source
        assert '"""Stock keeping for a small shop."""' in source


def test_single_edits_come_before_pairs_and_pairs_are_bounded() -> None:
    line = line_of(INVENTORY, "return ordered[:count]")
    found = list(mutants(INVENTORY, line, max_pairs=7))
    operators = [mutant.operator for mutant in found]
    first_pair = next(index for index, name in enumerate(operators) if "+" in name)
    assert all("+" in name for name in operators[first_pair:])
    assert len(operators) - first_pair == 7
    assert not any("+" in mutant.operator for mutant in mutants(INVENTORY, line, max_pairs=0))


def test_a_pair_combines_two_edits_at_one_location() -> None:
    line = line_of(INVENTORY, "return ordered[:count]")
    wanted = INVENTORY.replace(
        "return ordered[:count] if count > 0 else []",
        "return ordered[:count + 1] if count >= 0 else []",
    )
    assert wanted in _all(INVENTORY, line)


def test_multi_line_statement_is_mutated_as_a_whole() -> None:
    line = line_of(INVENTORY, "item.quantity - 0")
    found = _all(INVENTORY, line, max_pairs=0)
    assert INVENTORY.replace("item.quantity - 0", "item.quantity + 0") in found
    assert INVENTORY.replace("total += item.price", "total -= item.price") in found


def test_source_without_trailing_newline() -> None:
    source = "def f(xs):\n    return xs[0]"
    found = _all(source, 2)
    assert "def f(xs):\n    return xs[1]" in found
    assert "def f(xs):\n    if xs is None:\n        return None\n    return xs[0]" in found


def test_unparseable_source_and_empty_lines_are_refused() -> None:
    with pytest.raises(PermanentError, match="does not parse"):
        list(mutants("def broken(:\n", 1))
    with pytest.raises(PermanentError, match="no statement"):
        list(mutants("x = 1\n\n\ny = 2\n", 3))
