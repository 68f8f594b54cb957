import pytest

from venue import free_blocks, label, occupancy, row_of


def test_label_of_a_seat():
    assert label(13, 10) == "B4"
    assert label(0, 10) == "A1"


def test_last_seat_skips_the_letter_i():
    assert label(99, 10) == "K10"


def test_seats_outside_the_venue_are_refused():
    with pytest.raises(ValueError):
        label(100, 10)


def test_row_of_a_label():
    assert row_of("K3") == 9


def test_free_blocks_stay_in_one_row():
    taken = set(range(100)) - {7, 8, 9, 10, 11}
    assert free_blocks(taken, 10, 2) == [7, 8, 10]


def test_occupancy():
    assert occupancy(set(range(25)), 10) == 0.25
