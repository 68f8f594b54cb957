"""The last lines of a log, as `tail -n` shows them."""


def last_lines(text, count):
    lines = text.splitlines()
    return lines[-count:-1]


def line_count(text):
    return len(text.splitlines())
