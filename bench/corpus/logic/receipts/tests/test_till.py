from till import euros, receipt, subtotal, to_cents, with_vat


def test_whole_euros_to_cents():
    assert to_cents(3) == 300
    assert to_cents(2.5) == 250


def test_prices_round_to_the_nearest_cent():
    assert to_cents(19.99) == 1999
    assert to_cents(0.29) == 29


def test_vat_is_added_and_rounded():
    assert with_vat(1000) == 1200
    assert with_vat(333) == 400


def test_euros_pads_the_cents():
    assert euros(1205) == "12.05"
    assert euros(7) == "0.07"


def test_receipt_lines():
    lines = [("coffee", 2.5, 2), ("cake", 3.0, 1)]
    assert subtotal(lines) == 800
    assert receipt(lines)[-1] == "total              9.60"
