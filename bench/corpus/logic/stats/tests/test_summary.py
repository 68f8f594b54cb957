import pytest

from summary import mean, median, percentile


def test_mean():
    assert mean([1, 2, 3, 4]) == 2.5


def test_median_of_an_even_count_averages_the_middle_pair():
    assert median([4, 1, 3, 2]) == 2.5


def test_median_of_an_odd_count_is_the_middle_value():
    assert median([5, 1, 3, 2, 4]) == 3


def test_median_of_one_sample():
    assert median([7]) == 7


def test_empty_samples_are_refused():
    with pytest.raises(ValueError):
        median([])


def test_p90():
    assert percentile(range(1, 11), 0.9) == 10
