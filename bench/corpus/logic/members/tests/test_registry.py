from datetime import date

import pytest

from registry import Member, Registry


def registry():
    club = Registry()
    club.add(Member(1, "Ann", date(2030, 1, 1)))
    club.add(Member(2, "Bob", date(2020, 1, 1)))
    return club


def test_find_a_member():
    assert registry().find(2).name == "Bob"


def test_unknown_number_is_none():
    assert registry().find(99) is None


def test_duplicate_numbers_are_refused():
    with pytest.raises(ValueError):
        registry().add(Member(1, "Again", date(2030, 1, 1)))


def test_active_members():
    assert registry().active(date(2024, 6, 1)) == ["Ann"]
