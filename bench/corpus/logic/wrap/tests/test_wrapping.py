from wrapping import fill, wrap


def test_short_text_is_one_line():
    assert wrap("hello world", 20) == ["hello world"]


def test_long_text_breaks_between_words():
    assert wrap("the quick brown fox jumps", 10) == ["the quick", "brown fox", "jumps"]


def test_a_line_may_be_exactly_width_long():
    assert wrap("abcd efgh ijkl", 9) == ["abcd efgh", "ijkl"]


def test_long_word_stands_alone():
    assert fill("a supercalifragilistic b", 5) == "a\nsupercalifragilistic\nb"


def test_empty_text():
    assert wrap("   ") == []
