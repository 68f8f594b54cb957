from clock import format_duration, split_seconds


def test_whole_hours():
    assert split_seconds(7200) == (2, 0, 0)


def test_hours_minutes_seconds():
    assert split_seconds(3725) == (1, 2, 5)


def test_format_under_a_minute():
    assert format_duration(42) == "42s"


def test_format_minutes():
    assert format_duration(125) == "2m05s"
