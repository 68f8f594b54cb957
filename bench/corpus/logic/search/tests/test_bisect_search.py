from bisect_search import find

ITEMS = [2, 3, 5, 7, 11, 13]


def test_finds_the_first_item():
    assert find(ITEMS, 2) == 0


def test_finds_an_item_in_the_lower_half():
    assert find(ITEMS, 5) == 2


def test_finds_an_item_in_the_upper_half():
    assert find(ITEMS, 11) == 4


def test_finds_the_last_item():
    assert find(ITEMS, 13) == 5


def test_missing_item():
    assert find(ITEMS, 4) == -1
