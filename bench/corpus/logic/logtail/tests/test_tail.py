from tail import last_lines, line_count

LOG = "boot\nmount\nnetwork\nready\n"


def test_last_two_lines():
    assert last_lines(LOG, 2) == ["network", "ready"]


def test_last_line():
    assert last_lines(LOG, 1) == ["ready"]


def test_line_count():
    assert line_count(LOG) == 4
