"""Cursor-free pagination for list endpoints."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    total_pages: int

    @property
    def has_next(self) -> bool:
        return self.number < self.total_pages


def total_pages(count: int, per_page: int) -> int:
    if per_page <= 0:
        raise ValueError("per_page must be positive")
    return max(1, -(-count // per_page))


def paginate(items: list, number: int, per_page: int = 20) -> Page:
    pages = total_pages(len(items), per_page)
    if not 1 <= number <= pages:
        raise ValueError(f"page {number} out of range 1..{pages}")
    start = (number - 1) * per_page
    return Page(items[start : start + per_page - 1], number, pages)
