from logistics.parcels import gross_weight, price


def test_gross_weight_adds_packaging():
    assert gross_weight({"weight": 3, "packaging": 1}) == 4


def test_price_is_per_kilogram():
    assert price({"weight": 1, "packaging": 1}) == 8
