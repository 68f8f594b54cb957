"""Invoice totals with line discounts and sales tax."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass
class Line:
    description: str
    unit_price: Decimal
    quantity: int = 1
    discount: Decimal = Decimal("0")

    def amount(self) -> Decimal:
        gross = self.unit_price * self.quantity
        return gross - gross * self.discount


@dataclass
class Invoice:
    lines: list[Line] = field(default_factory=list)
    tax_rate: Decimal = Decimal("0.20")

    def subtotal(self) -> Decimal:
        return sum((line.amount() for line in self.lines), Decimal("0"))

    def tax(self) -> Decimal:
        return (self.subtotal() * self.tax_rate).quantize(CENT, ROUND_HALF_UP)

    def total(self) -> Decimal:
        return self.subtotal() - self.tax()
