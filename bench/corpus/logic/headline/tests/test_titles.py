from titles import first_word, shout


def test_first_word_is_capitalised():
    assert first_word("kintsugi repairs pottery") == "Kintsugi"


def test_blank_text_has_no_first_word():
    assert first_word("   ") == ""


def test_shout():
    assert shout("hi") == "HI!"
