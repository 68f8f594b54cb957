"""Merging layered settings."""

import collections


def deep_merge(base, override):
    merged = dict(base)
    for name, value in override.items():
        if name in base and isinstance(base[name], dict) and isinstance(value, collections.Mapping):
            merged[name] = deep_merge(base[name], value)
        else:
            merged[name] = value
    return merged
