"""Stock levels and reorder suggestions for a warehouse."""

from dataclasses import dataclass


@dataclass
class StockItem:
    sku: str
    on_hand: int
    reorder_level: int
    reorder_quantity: int
    discontinued: bool = False


def needs_reorder(item: StockItem) -> bool:
    """An item is reordered once stock falls to its reorder level."""
    if item.discontinued:
        return False
    return item.on_hand < item.reorder_level


def reorder_list(items: list[StockItem]) -> dict[str, int]:
    return {item.sku: item.reorder_quantity for item in items if needs_reorder(item)}
