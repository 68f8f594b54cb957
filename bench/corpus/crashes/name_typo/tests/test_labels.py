from orders.labels import describe


def test_order_without_discount():
    assert describe(7, 0) == "order 7"
