from library import Bookmark, all_tags, tag_cloud, untagged, with_tag

SAVED = [
    Bookmark("https://docs.python.org", "Python docs", ["python", "docs"]),
    Bookmark("https://peps.python.org", "PEPs", ["python"]),
    Bookmark("https://example.com", "Example"),
    Bookmark("https://sqlite.org", "SQLite", ["docs", "sql", "python"]),
]


def test_with_tag():
    assert with_tag(SAVED, "docs") == ["https://docs.python.org", "https://sqlite.org"]


def test_all_tags_flattens_in_order():
    assert all_tags(SAVED[:2]) == ["python", "docs", "python"]


def test_tag_cloud_counts_each_tag():
    assert tag_cloud(SAVED, top=2) == [("python", 3), ("docs", 2)]


def test_untagged():
    assert untagged(SAVED) == ["Example"]


def test_no_bookmarks_no_tags():
    assert all_tags([]) == []
