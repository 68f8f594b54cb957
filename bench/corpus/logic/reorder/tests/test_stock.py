from stock import StockItem, needs_reorder, reorder_list


def test_plenty_of_stock_is_not_reordered():
    assert not needs_reorder(StockItem("A-1", on_hand=50, reorder_level=10, reorder_quantity=40))


def test_below_level_is_reordered():
    assert needs_reorder(StockItem("A-1", on_hand=3, reorder_level=10, reorder_quantity=40))


def test_exactly_at_level_is_reordered():
    assert needs_reorder(StockItem("A-1", on_hand=10, reorder_level=10, reorder_quantity=40))


def test_discontinued_items_are_never_reordered():
    item = StockItem("Z-9", on_hand=0, reorder_level=5, reorder_quantity=10, discontinued=True)
    assert not needs_reorder(item)


def test_reorder_list_maps_sku_to_quantity():
    items = [
        StockItem("A-1", on_hand=1, reorder_level=5, reorder_quantity=20),
        StockItem("B-2", on_hand=99, reorder_level=5, reorder_quantity=20),
    ]
    assert reorder_list(items) == {"A-1": 20}
