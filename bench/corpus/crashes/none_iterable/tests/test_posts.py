from blog.posts import normalised_tags, title


def test_tags_are_lowercased_and_unique():
    assert normalised_tags({"tags": ["Python ", "python", "CST"]}) == ["cst", "python"]


def test_title_is_stripped():
    assert title({"title": "  Hello "}) == "Hello"
