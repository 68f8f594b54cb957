from datetime import datetime, timedelta

from calendar_slots import Booking, is_free, next_free, overlaps

NINE = datetime(2024, 5, 6, 9, 0)
TEN = datetime(2024, 5, 6, 10, 0)
ELEVEN = datetime(2024, 5, 6, 11, 0)
BOOKINGS = [Booking("Atlas", NINE, TEN)]


def test_overlapping_intervals():
    assert overlaps(NINE, ELEVEN, TEN, ELEVEN)
    assert not overlaps(NINE, TEN, TEN, ELEVEN)


def test_other_rooms_do_not_block():
    assert is_free(BOOKINGS, "Borealis", NINE, TEN)


def test_slot_after_a_booking_is_free():
    assert is_free(BOOKINGS, "Atlas", TEN, ELEVEN)


def test_slot_inside_a_booking_is_taken():
    assert not is_free(
        BOOKINGS, "Atlas", NINE + timedelta(minutes=15), NINE + timedelta(minutes=45)
    )


def test_next_free_skips_the_booking():
    assert next_free(BOOKINGS, "Atlas", NINE, timedelta(minutes=30)) == TEN
