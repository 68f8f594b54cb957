import pytest

from sales_report import read_rows, totals_by_region

EXPORT = "region,amount\nnorth,10.5\nsouth,4\nnorth,2\n"


def test_unexpected_header_is_refused():
    with pytest.raises(ValueError):
        read_rows("city,total\nx,1\n")


def test_every_data_row_is_read():
    assert read_rows(EXPORT) == [["north", "10.5"], ["south", "4"], ["north", "2"]]


def test_totals_by_region():
    assert totals_by_region(EXPORT) == {"north": 12.5, "south": 4.0}


def test_blank_lines_are_skipped():
    assert read_rows("region,amount\n\nwest,1\n") == [["west", "1"]]
