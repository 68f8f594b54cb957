from scaling import normalised, passed


def test_scores_are_scaled_to_the_best():
    assert normalised([5, 10, 20]) == [0.25, 0.5, 1.0]


def test_passed():
    assert passed([5, 10, 20], 10) == [10, 20]
