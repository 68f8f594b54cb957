from weather.readings import peak_temperature, to_fahrenheit


def test_peak_is_the_highest_reading():
    assert peak_temperature([{"celsius": 3}, {"celsius": 11}]) == 11


def test_freezing_point():
    assert to_fahrenheit(0) == 32
