from releases.versions import latest, parse


def test_latest_compares_numerically():
    assert latest(["1.9.0", "1.10.0", "1.2.3"]) == "1.10.0"


def test_parse_splits_on_dots():
    assert parse("2.0.1") == (2, 0, 1)
