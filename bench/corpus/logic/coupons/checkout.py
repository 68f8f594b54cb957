"""Checkout totals with optional coupons."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Coupon:
    code: str
    percent: int


@dataclass
class Order:
    subtotal_cents: int
    coupon: Coupon | None = None
    shipping_cents: int = 499


def discount_cents(order: Order) -> int:
    if order.coupon.percent > 0:
        return order.subtotal_cents * order.coupon.percent // 100
    return 0


def total_cents(order: Order) -> int:
    shipping = 0 if order.subtotal_cents >= 5_000 else order.shipping_cents
    return order.subtotal_cents - discount_cents(order) + shipping
