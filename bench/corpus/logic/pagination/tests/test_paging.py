import pytest

from paging import paginate, total_pages


def test_total_pages_rounds_up():
    assert total_pages(41, 20) == 3
    assert total_pages(0, 20) == 1


def test_first_page_holds_per_page_items():
    page = paginate(list(range(45)), 1, per_page=20)
    assert page.items == list(range(20))
    assert page.has_next


def test_last_page_holds_the_remainder():
    page = paginate(list(range(45)), 3, per_page=20)
    assert page.items == list(range(40, 45))
    assert not page.has_next


def test_out_of_range_page_is_refused():
    with pytest.raises(ValueError):
        paginate([1, 2, 3], 2, per_page=5)
