"""Aggregates over product reviews."""


def average_rating(ratings):
    return round(sum(ratings) / len(ratings), 2)


def count_five_stars(ratings):
    return sum(1 for rating in ratings if rating == 5)
