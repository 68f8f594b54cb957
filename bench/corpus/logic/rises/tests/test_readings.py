from readings import peak, rises


def test_counts_each_rise():
    assert rises([5, 1, 2, 3]) == 2


def test_a_fall_at_the_end_is_not_a_rise():
    assert rises([1, 2, 3, 0]) == 2


def test_a_rise_after_a_fall():
    assert rises([2, 1, 3]) == 1


def test_a_steady_climb_rises_at_every_step():
    assert rises([1, 2, 3, 4, 5]) == 4


def test_flat_series_never_rises():
    assert rises([4, 4, 4]) == 0


def test_peak():
    assert peak([5, 1, 2, 3]) == 5
