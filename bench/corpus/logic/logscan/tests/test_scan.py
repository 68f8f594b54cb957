from scan import Entry, at_least, entries, noisiest, parse_line

LOG = [
    "INFO web: started on port 8000",
    "WARNING db: slow query (2.1 s)",
    "ERROR web: upstream timed out",
    "Traceback (most recent call last):",
    "ERROR web: upstream timed out",
    "DEBUG cache: miss for key user:7",
    "ERROR db: connection reset",
]


def test_parse_line():
    assert parse_line("ERROR db: connection reset") == Entry("ERROR", "db", "connection reset")
    assert parse_line("Traceback (most recent call last):") is None
    assert parse_line("no colon here") is None


def test_entries_skip_malformed_lines():
    assert len(entries(LOG)) == 6
    assert entries(LOG)[-1].message == "connection reset"


def test_at_least_filters_by_level():
    found = entries(LOG[:3])
    assert [entry.level for entry in at_least(found, "WARNING")] == ["WARNING", "ERROR"]


def test_noisiest_components():
    assert noisiest(LOG) == [("db", 2), ("web", 2)]


def test_empty_log():
    assert entries([]) == []
    assert noisiest([]) == []
