"""A tiny read-through cache with a miss counter."""

misses = 0


def lookup(cache, word):
    if word not in cache:
        misses += 1
        return None
    return cache[word]
