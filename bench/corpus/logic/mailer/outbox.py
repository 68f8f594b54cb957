"""A newsletter outbox: recipients cleaned up, split into batches, and a send summary."""

from dataclasses import dataclass


@dataclass
class Summary:
    sent: int
    batches: int
    skipped: list[str]


def recipients(addresses: list[str]) -> tuple[list[str], list[str]]:
    """Valid addresses, lower-cased and each once in first-seen order, and the rejected ones."""
    valid: list[str] = []
    rejected = []
    for address in addresses:
        cleaned = address.strip().lower()
        if cleaned.count("@") != 1 or cleaned.startswith("@") or cleaned.endswith("@"):
            rejected.append(address)
        elif cleaned not in valid:
            valid.append(cleaned)
    return valid, rejected


def batches(addresses: list[str], size: int) -> list[list[str]]:
    """The addresses in batches of `size` (the last may be shorter), in order."""
    if size < 1:
        raise ValueError("a batch holds at least one address")
    count = -(-len(addresses) // size)
    found = []
    offset = 0
    for _ in range(count):
        found.append(addresses[offset : offset + size])
        offset += 1
    return found


def send(addresses: list[str], size: int = 50) -> Summary:
    valid, rejected = recipients(addresses)
    grouped = batches(valid, size)
    return Summary(sum(len(batch) for batch in grouped), len(grouped), rejected)
