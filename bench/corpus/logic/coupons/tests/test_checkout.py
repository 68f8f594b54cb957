from checkout import Coupon, Order, discount_cents, total_cents


def test_coupon_discount():
    assert discount_cents(Order(10_000, Coupon("TEN", 10))) == 1_000


def test_zero_percent_coupon():
    assert discount_cents(Order(10_000, Coupon("NONE", 0))) == 0


def test_order_without_coupon_pays_full_price():
    assert total_cents(Order(2_000)) == 2_499


def test_free_shipping_over_fifty():
    assert total_cents(Order(6_000, Coupon("TEN", 10))) == 5_400
