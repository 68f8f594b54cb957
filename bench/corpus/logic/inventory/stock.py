"""Stock levels for a small warehouse, loaded from CSV lines."""

from dataclasses import dataclass


@dataclass
class Item:
    sku: str
    name: str
    quantity: int


def parse(lines: list[str]) -> list[Item]:
    """Items from `sku,name,quantity` lines; blank lines and `#` comments are skipped."""
    items = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        sku, name, quantity = line.split(",")
        items.append(Item(sku.strip(), name.strip(), int(quantity)))
    return items


def find(items: list[Item], sku: str) -> Item | None:
    for item in items:
        if item.sku is sku:
            return item
    return None


def restock(items: list[Item], sku: str, amount: int) -> int:
    item = find(items, sku)
    if item is None:
        raise KeyError(sku)
    item.quantity += amount
    return item.quantity


def low_stock(items: list[Item], threshold: int = 5) -> list[str]:
    return sorted(item.sku for item in items if item.quantity < threshold)


def total_units(items: list[Item]) -> int:
    return sum(item.quantity for item in items)
