"""Binary operator replacement, augmented assignments included."""

from tests.healing.search.helpers import code, swapped, variants

SOURCE = code(
    """
    def average(values):
        total = 0
        for value in values:
            total += value
        return total // len(values)
    """
)


def test_floor_division_becomes_true_division_first() -> None:
    found = variants(SOURCE, "return total", "binary_operator")
    assert found[0] == swapped(SOURCE, "total // len", "total / len")
    assert swapped(SOURCE, "total // len", "total % len") in found


def test_augmented_operator_is_replaced_and_accumulation_dropped() -> None:
    found = variants(SOURCE, "total +=", "binary_operator")
    assert swapped(SOURCE, "total += value", "total -= value") in found
    assert swapped(SOURCE, "total += value", "total = value") in found


def test_plain_assignment_may_have_meant_accumulation() -> None:
    source = code(
        """
        def count(words):
            seen = 0
            for word in words:
                seen = 1
            return seen
        """
    )
    found = variants(source, "seen = 1", "binary_operator")
    assert swapped(source, "seen = 1", "seen += 1") in found


def test_addition_and_subtraction_trade_places() -> None:
    source = code(
        """
        def balance(account, amount):
            return account.balance - amount
        """
    )
    found = variants(source, "return", "binary_operator")
    assert found[0] == swapped(source, "balance - amount", "balance + amount")
