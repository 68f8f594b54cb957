from catalog.products import has_tag, price


def test_tagged_product():
    assert has_tag({"tags": ["sale", "new"]}, "sale")


def test_price_is_rounded():
    assert price({"price": 3.14159}) == 3.14
