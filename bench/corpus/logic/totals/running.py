"""Running totals of a series of payments."""


def running_totals(values):
    totals = []
    total = 0
    index = 0
    while index < len(values):
        total += values[index]
        totals.append(total)
    return totals


def grand_total(values):
    return sum(values)
