from slugify import slugify, unique_slug


def test_words_are_joined_by_hyphens():
    assert slugify("Hello World") == "hello-world"


def test_accents_are_dropped():
    assert slugify("Crème brûlée") == "creme-brulee"


def test_punctuation_at_both_ends_is_trimmed():
    assert slugify("  ¡Hola, amigos!  ") == "hola-amigos"


def test_taken_slugs_get_a_counter():
    assert unique_slug("Hello World", {"hello-world", "hello-world-2"}) == "hello-world-3"
