from datetime import datetime

from timeline import Post, timeline

OLD = Post("ann", "first!", datetime(2024, 1, 1, 9))
MID = Post("bob", "lunch", datetime(2024, 1, 1, 12))
NEW = Post("ann", "home", datetime(2024, 1, 1, 18))


def test_muted_authors_are_hidden():
    assert timeline([OLD, MID, NEW], muted=frozenset({"ann"})) == [MID]


def test_newest_post_comes_first():
    assert timeline([OLD, NEW, MID]) == [NEW, MID, OLD]


def test_limit_keeps_the_newest():
    assert timeline([OLD, MID, NEW], limit=1) == [NEW]


def test_empty_feed():
    assert timeline([]) == []
