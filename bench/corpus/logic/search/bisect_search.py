"""Finding a value in a sorted list by halving."""


def find(items, target, low=0, high=None):
    if high is None:
        high = len(items)
    if low >= high:
        return -1
    middle = (low + high) // 2
    if items[middle] == target:
        return middle
    if items[middle] < target:
        return find(items, target, middle, high)
    return find(items, target, low, middle)
