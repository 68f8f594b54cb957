"""Greedy word wrapping for plain-text e-mails."""


def wrap(text: str, width: int = 72) -> list[str]:
    """Lines of at most `width` characters; words longer than a line stand alone."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if len(candidate) < width:
            current = candidate
        else:
            if current:
                lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def fill(text: str, width: int = 72) -> str:
    return "\n".join(wrap(text, width))
