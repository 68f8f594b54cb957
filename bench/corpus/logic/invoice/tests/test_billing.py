from decimal import Decimal

from billing import Invoice, Line


def invoice():
    return Invoice(
        [
            Line("Consulting", Decimal("100.00"), quantity=3),
            Line("Licence", Decimal("50.00"), discount=Decimal("0.10")),
        ]
    )


def test_line_amount_applies_discount():
    assert Line("x", Decimal("50.00"), discount=Decimal("0.10")).amount() == Decimal("45.00")


def test_subtotal_sums_lines():
    assert invoice().subtotal() == Decimal("345.00")


def test_tax_is_rounded_to_cents():
    assert invoice().tax() == Decimal("69.00")


def test_total_adds_tax():
    assert invoice().total() == Decimal("414.00")
