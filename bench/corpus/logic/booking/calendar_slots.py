"""Meeting-room bookings: overlap checks and free slots."""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Booking:
    room: str
    start: datetime
    end: datetime


def overlaps(
    first_start: datetime, first_end: datetime, second_start: datetime, second_end: datetime
) -> bool:
    return first_start < second_end and second_start < first_end


def is_free(bookings: list[Booking], room: str, start: datetime, end: datetime) -> bool:
    for booking in bookings:
        if booking.room != room:
            continue
        if overlaps(booking.start, end, start, booking.end):
            return False
    return True


def next_free(bookings: list[Booking], room: str, after: datetime, length: timedelta) -> datetime:
    """The first quarter-hour start within a day of `after` where the room is free."""
    for quarter in range(96):
        start = after + timedelta(minutes=15 * quarter)
        if is_free(bookings, room, start, start + length):
            return start
    raise LookupError(f"{room} has no free slot of {length} within a day")
