import pytest

from units import celsius_to_fahrenheit, fahrenheit_to_celsius, reading_summary, wind_knots


def test_freezing_point():
    assert celsius_to_fahrenheit(0) == pytest.approx(32)


def test_boiling_point():
    assert celsius_to_fahrenheit(100) == pytest.approx(212)


def test_fahrenheit_back_to_celsius():
    assert fahrenheit_to_celsius(212) == pytest.approx(100)


def test_wind_in_knots():
    assert wind_knots(10) == 19.4


def test_summary():
    assert reading_summary(20, 5) == "68°F, wind 9.7 kn"
