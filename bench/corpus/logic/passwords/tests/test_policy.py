from policy import Policy, is_acceptable, problems


def test_short_password_is_reported():
    assert "at least 10 characters" in problems("abc1")


def test_password_with_a_digit_is_acceptable():
    assert is_acceptable("correct horse 9")


def test_password_without_digit_is_reported():
    assert problems("correct horse battery") == ["a digit"]


def test_symbol_required_by_policy():
    strict = Policy(require_symbol=True)
    assert problems("correcthorse9", strict) == ["a symbol"]
    assert is_acceptable("correct-horse9", strict)
