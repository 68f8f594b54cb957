from reviews.stats import average_rating, count_five_stars


def test_average_is_rounded():
    assert average_rating([5, 4, 4]) == 4.33


def test_five_stars_are_counted():
    assert count_five_stars([5, 1, 5]) == 2
