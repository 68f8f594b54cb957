from reports.export import export


def test_plain_export_joins_rows():
    assert export([1, 2], False) == "1;2"
