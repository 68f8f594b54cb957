import pytest

from stock import find, low_stock, parse, restock, total_units

LINES = [
    "# sku,name,quantity",
    "A-100, bolts, 40",
    "",
    "B-220, washers, 3",
    "C-310, hinges, 1",
]


def test_parse_skips_comments_and_blank_lines():
    items = parse(LINES)
    assert [item.name for item in items] == ["bolts", "washers", "hinges"]
    assert items[0].quantity == 40


def test_find_by_sku():
    item = find(parse(LINES), "B-220")
    assert item is not None and item.name == "washers"


def test_restock_adds_to_the_quantity():
    items = parse(LINES)
    assert restock(items, "C-310", 10) == 11
    assert total_units(items) == 54


def test_restock_of_an_unknown_sku_fails():
    with pytest.raises(KeyError):
        restock(parse(LINES), "Z-999", 1)


def test_low_stock_lists_skus_under_the_threshold():
    assert low_stock(parse(LINES)) == ["B-220", "C-310"]
