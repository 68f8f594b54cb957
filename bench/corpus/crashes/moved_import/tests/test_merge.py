from settings.merge import deep_merge


def test_disjoint_keys_are_combined():
    assert deep_merge({"a": 1}, {"b": 2}) == {"a": 1, "b": 2}


def test_override_wins():
    assert deep_merge({"a": 1}, {"a": 3}) == {"a": 3}
