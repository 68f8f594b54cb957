"""Seating for a small theatre: seat labels, rows, and blocks of free seats."""

ROW_LETTERS = "ABCDEFGHJK"


def label(seat: int, per_row: int) -> str:
    """`B4` for seat 13 with 10 seats a row (seats are numbered from 0)."""
    if not 0 <= seat < per_row * len(ROW_LETTERS):
        raise ValueError(f"no seat {seat}")
    row = seat / per_row
    return f"{ROW_LETTERS[row]}{seat % per_row + 1}"


def row_of(seat_label: str) -> int:
    return ROW_LETTERS.index(seat_label[0])


def free_blocks(taken: set[int], per_row: int, size: int) -> list[int]:
    """First seats of each run of `size` free seats that stays within one row."""
    starts = []
    for row in range(len(ROW_LETTERS)):
        first = row * per_row
        for start in range(first, first + per_row - size + 1):
            if not any(seat in taken for seat in range(start, start + size)):
                starts.append(start)
    return starts


def occupancy(taken: set[int], per_row: int) -> float:
    return round(len(taken) / (per_row * len(ROW_LETTERS)), 2)
