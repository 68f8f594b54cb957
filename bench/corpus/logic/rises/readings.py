"""Counting how often a series of readings rises."""


def rises(values):
    count = 0
    for index in range(len(values)):
        if values[index] > values[index - 1]:
            count += 1
    return count


def peak(values):
    return max(values)
