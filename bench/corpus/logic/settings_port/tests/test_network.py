import pytest

from network import parse_address, parse_port


def test_port_is_parsed():
    assert parse_port(" 8080 ") == 8080


def test_out_of_range_port_is_refused():
    with pytest.raises(ValueError):
        parse_port("70000")


def test_unset_port_is_none():
    assert parse_port(None) is None


def test_address_with_port():
    assert parse_address("db.internal:5432") == ("db.internal", 5432)


def test_address_without_port():
    assert parse_address("db.internal") == ("db.internal", None)
