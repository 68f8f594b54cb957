"""A shop till: prices in cents, VAT, and the printed receipt."""

VAT_RATE = 0.2


def to_cents(amount: float) -> int:
    """A price in euros as whole cents, to the nearest cent."""
    return int(amount * 100)


def with_vat(cents: int) -> int:
    return cents + round(cents * VAT_RATE)


def subtotal(lines: list[tuple[str, float, int]]) -> int:
    """The cents due for `(name, unit price in euros, quantity)` lines, before VAT."""
    return sum(to_cents(price) * quantity for _, price, quantity in lines)


def euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def receipt(lines: list[tuple[str, float, int]]) -> list[str]:
    printed = [
        f"{quantity} x {name:<10}{euros(to_cents(price) * quantity):>8}"
        for name, price, quantity in lines
    ]
    net = subtotal(lines)
    printed.append(f"{'net':<15}{euros(net):>8}")
    printed.append(f"{'total':<15}{euros(with_vat(net)):>8}")
    return printed
