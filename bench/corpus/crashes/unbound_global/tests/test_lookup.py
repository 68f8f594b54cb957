from cache.lookup import lookup


def test_hit_returns_the_cached_value():
    assert lookup({"a": 1}, "a") == 1
