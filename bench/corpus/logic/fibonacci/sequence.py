"""The first terms of the Fibonacci sequence."""


def fibonacci(count):
    terms = []
    current, following = 0, 1
    for _ in range(count):
        current, following = following, current + following
        terms.append(current)
    return terms


def is_fibonacci(number, limit=100):
    return number in fibonacci(limit)
