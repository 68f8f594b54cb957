"""What a reader of a GitHub comment sees, line by line: code blocks (fenced with backticks or
tildes, inside quotes and list items too, or indented) and HTML comments (closed or not),
found the way CommonMark finds them, so hidden or quoted text never becomes a command."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Zero-width and bidirectional controls can hide text from a human reader of the comment.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
# Blockquote markers and list markers before a fence: `> ````, `- ````, `1. ~~~`.
_OPENING = re.compile(
    r"(?P<prefix>(?:[ ]{0,3}(?:>[ ]?|(?:[-+*]|\d{1,9}[.)])[ ]+))*)"
    r"[ ]{0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)"
)
_QUOTE = re.compile(r"[ ]{0,3}>[ ]?")
_CLOSING = re.compile(r"[ ]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*")
_OPEN_COMMENT, _CLOSE_COMMENT = "<!--", "-->"


@dataclass(frozen=True)
class Line:
    """One line as a reader sees it; `may_command` when a command could start it (not code,
    not indented four columns, not the tail of an HTML comment)."""

    text: str
    may_command: bool


@dataclass(frozen=True)
class _Fence:
    char: str
    length: int
    quotes: int  # blockquote levels it was opened in
    indent: int  # columns of list-item content it was opened in

    def contains(self, line: str) -> str | None:
        """`line` without the containers the fence was opened in; None when the line ends them
        (an unquoted or less indented line: a fenced block is never continued lazily)."""
        rest = line
        for _ in range(self.quotes):
            marker = _QUOTE.match(rest)
            if marker is None:
                return None
            rest = rest[marker.end() :]
        if self.indent:
            if rest.strip() and len(rest) - len(rest.lstrip(" ")) < self.indent:
                return None
            rest = rest[self.indent :]
        return rest

    def closed_by(self, rest: str) -> bool:
        closing = _CLOSING.fullmatch(rest)
        return (
            closing is not None
            and closing["fence"][0] == self.char
            and len(closing["fence"]) >= self.length
        )


def _opening(line: str) -> _Fence | None:
    match = _OPENING.fullmatch(line)
    if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
        return None
    prefix = match["prefix"]
    quotes = prefix.count(">")
    listed = re.search(r"(?:[-+*]|\d{1,9}[.)])[ ]+$", prefix)
    indent = len(prefix) - (prefix.rfind(">") + 1) if listed else 0
    return _Fence(match["fence"][0], len(match["fence"]), quotes, indent)


def read_lines(text: str) -> list[Line]:
    """`text` as a reader sees it, one `Line` per line: HTML comments outside code removed (an
    unclosed `<!--` hides everything after it), invisible characters removed everywhere."""
    lines: list[Line] = []
    fence: _Fence | None = None
    in_comment = False
    for raw in INVISIBLE.sub("", text).replace("\r\n", "\n").split("\n"):
        line = raw.expandtabs(4)
        if fence is not None:
            rest = fence.contains(line)
            if rest is not None:
                if fence.closed_by(rest):
                    fence = None
                lines.append(Line(raw, may_command=False))
                continue
            fence = None  # its container ended: the line is read like any other
        may_command = True
        if in_comment:
            end = line.find(_CLOSE_COMMENT)
            if end < 0:
                lines.append(Line("", may_command=False))
                continue
            line, in_comment, may_command = line[end + len(_CLOSE_COMMENT) :], False, False
        elif (opened := _opening(line)) is not None:
            fence = opened
            lines.append(Line(raw, may_command=False))
            continue
        line, in_comment = _without_comments(line)
        indent = len(line) - len(line.lstrip(" "))
        lines.append(Line(line, may_command=may_command and indent < 4))
    return lines


def _without_comments(line: str) -> tuple[str, bool]:
    """`line` without its HTML comments, and whether one is left open at its end."""
    kept = []
    while (start := line.find(_OPEN_COMMENT)) >= 0:
        kept.append(line[:start])
        end = line.find(_CLOSE_COMMENT, start + len(_OPEN_COMMENT))
        if end < 0:
            return "".join(kept), True
        line = line[end + len(_CLOSE_COMMENT) :]
    kept.append(line)
    return "".join(kept), False


def visible_text(text: str) -> str:
    """`text` without HTML comments (outside code) or invisible characters."""
    return "\n".join(line.text for line in read_lines(text))
