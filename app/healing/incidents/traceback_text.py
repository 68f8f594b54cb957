"""Reading an `Incident` from a Python traceback pasted as text, chained exceptions included."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from app.healing.incidents.errors import UnreadableIncident
from app.healing.incidents.model import ExceptionInfo, Frame, Incident, IncidentSource

_HEADER = re.compile(r"Traceback \(most recent call last\):\s*$")
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+?))?\s*$')
_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::(?:\s(?P<value>.*))?)?$")
_CARETS = re.compile(r"^\s*[~^\s]+$")


@dataclass
class _Block:
    prefix: str
    frames: list[Frame] = field(default_factory=list)
    exception: ExceptionInfo | None = None


def parse_traceback_text(text: str) -> tuple[ExceptionInfo, ...]:
    """Every exception of the last chain in `text`, oldest first; frames caller → callee."""
    lines = text.replace("\r\n", "\n").split("\n")
    blocks: list[_Block] = []
    index = 0
    while index < len(lines):
        match = _HEADER.search(lines[index])
        if match is None:
            index += 1
            continue
        block = _Block(prefix=lines[index][: match.start()])
        index = _read_block(lines, index + 1, block)
        if block.exception is not None:
            blocks.append(block)
    if not blocks:
        raise UnreadableIncident(
            "no Python traceback found (expected a 'Traceback (most recent call last):' "
            "header followed by frames and an exception line)"
        )
    return tuple(block.exception for block in blocks if block.exception is not None)


def incident_from_traceback(text: str) -> Incident:
    return Incident(source=IncidentSource.TRACEBACK, exceptions=parse_traceback_text(text))


def _strip(line: str, prefix: str) -> str:
    return line[len(prefix) :] if prefix and line.startswith(prefix) else line


def _read_block(lines: list[str], index: int, block: _Block) -> int:
    while index < len(lines):
        line = _strip(lines[index], block.prefix)
        frame = _FRAME.match(line)
        if frame is not None:
            index, context = _read_code(lines, index + 1, block.prefix)
            block.frames.append(
                Frame(
                    filename=frame["file"],
                    function=(frame["func"] or "<module>").strip(),
                    lineno=int(frame["line"]),
                    context_line=context,
                )
            )
            continue
        if not line.strip() or line.lstrip().startswith("[Previous line repeated"):
            index += 1
            continue
        if line[:1].isspace():  # source echo without a frame header, e.g. SyntaxError carets
            index += 1
            continue
        exception = _EXCEPTION.match(line.strip())
        if exception is None:
            return index
        value_lines = [exception["value"] or ""]
        index += 1
        # Multi-line messages continue until a blank line or the next traceback header.
        while index < len(lines):
            following = _strip(lines[index], block.prefix)
            if not following.strip() or _HEADER.search(following) or _is_chain_note(following):
                break
            value_lines.append(following)
            index += 1
        block.exception = ExceptionInfo(
            type=exception["type"],
            value="\n".join(value_lines).strip(),
            frames=tuple(block.frames),
        )
        return index
    return index


def _read_code(lines: list[str], index: int, prefix: str) -> tuple[int, str | None]:
    context: str | None = None
    while index < len(lines):
        line = _strip(lines[index], prefix)
        if not line.startswith("    ") or _FRAME.match(line):
            break
        if context is None:
            context = line.strip()
        elif not _CARETS.match(line):
            break
        index += 1
    return index, context


def _is_chain_note(line: str) -> bool:
    return line.startswith(("The above exception", "During handling of the above"))
