from sequence import fibonacci, is_fibonacci


def test_first_terms_start_at_zero():
    assert fibonacci(7) == [0, 1, 1, 2, 3, 5, 8]


def test_no_terms():
    assert fibonacci(0) == []


def test_membership():
    assert is_fibonacci(21)
    assert not is_fibonacci(22)
