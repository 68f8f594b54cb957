"""Unit conversions for a weather station feed."""

KNOTS_PER_MS = 1.943844


def celsius_to_fahrenheit(celsius: float) -> float:
    return celsius * 9 / 5 - 32


def fahrenheit_to_celsius(fahrenheit: float) -> float:
    return (fahrenheit - 32) * 5 / 9


def wind_knots(metres_per_second: float) -> float:
    return round(metres_per_second * KNOTS_PER_MS, 1)


def reading_summary(celsius: float, wind: float) -> str:
    return f"{celsius_to_fahrenheit(celsius):.0f}°F, wind {wind_knots(wind)} kn"
