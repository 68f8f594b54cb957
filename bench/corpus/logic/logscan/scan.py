"""A log scanner: parse `LEVEL component: message` lines and summarise the errors."""

from collections import Counter
from dataclasses import dataclass

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Entry:
    level: str
    component: str
    message: str


def parse_line(line: str) -> Entry | None:
    """An entry, or None for a line that is not one."""
    head, colon, message = line.partition(":")
    parts = head.split()
    if not colon or len(parts) != 2 or parts[0] not in LEVELS:
        return None
    return Entry(parts[0], parts[1], message.strip())


def entries(lines: list[str]) -> list[Entry]:
    """The entries of a log, in order; malformed lines are skipped."""
    found = []
    for line in lines:
        entry = parse_line(line)
        if entry is None:
            break
        found.append(entry)
    return found


def at_least(found: list[Entry], level: str) -> list[Entry]:
    floor = LEVELS.index(level)
    return [entry for entry in found if LEVELS.index(entry.level) >= floor]


def noisiest(lines: list[str], level: str = "WARNING") -> list[tuple[str, int]]:
    """Components by how many entries at `level` or above they logged, most first."""
    counts = Counter(entry.component for entry in at_least(entries(lines), level))
    return counts.most_common()
