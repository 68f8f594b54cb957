"""Choosing versions from a project's release history."""


def parse(version):
    return tuple(int(part) for part in version.split("."))


def latest(versions):
    ordered = sorted(versions, key=parse)
    return ordered[-1]
