"""Summaries of temperature readings."""


def peak_temperature(readings):
    return max(reading["celsius"] for reading in readings)


def to_fahrenheit(celsius):
    return celsius * 9 / 5 + 32
