"""The `.env` file as setup writes it: lines kept as they are, blank settings filled in place,
set ones never replaced, the file private to its owner (mode 600) and replaced atomically."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from app.errors import ConflictError

_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_PLAIN = re.compile(r"^[A-Za-z0-9_./:@+-]*$")


def _unquoted(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        return raw[1:-1]
    return raw.split(" #", 1)[0].strip()


def _quoted(value: str) -> str:
    if _PLAIN.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class EnvFile:
    """One `.env` file; `path` need not exist yet."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _lines(self) -> list[str]:
        return self.path.read_text(encoding="utf-8").splitlines() if self.path.exists() else []

    def values(self) -> dict[str, str]:
        """The settings the file sets, blank ones included (as "")."""
        found: dict[str, str] = {}
        for line in self._lines():
            match = _LINE.match(line)
            if match and not line.lstrip().startswith("#"):
                found[match.group(1)] = _unquoted(match.group(2))
        return found

    def add(self, settings: dict[str, str], *, comment: str) -> None:
        """Set each of `settings`: in place where the file has it blank, appended (under
        `comment`) where it is absent. A setting the file already gives a value is a conflict
        and nothing is written."""
        current = self.values()
        taken = sorted(name for name in settings if current.get(name))
        if taken:
            raise ConflictError(
                f"{self.path} already sets {', '.join(taken)}; Kintsugi does not replace them. "
                "Remove those lines to register another App."
            )
        lines = self._lines()
        pending = dict(settings)
        for index, line in enumerate(lines):
            match = _LINE.match(line)
            if match and not line.lstrip().startswith("#") and match.group(1) in pending:
                name = match.group(1)
                lines[index] = f"{name}={_quoted(pending.pop(name))}"
        if pending:
            if lines and lines[-1].strip():
                lines.append("")
            lines.append(f"# {comment}")
            lines.extend(f"{name}={_quoted(value)}" for name, value in pending.items())
        self._replace("\n".join(lines) + "\n")

    def _replace(self, text: str) -> None:
        # A temporary file created 600 and renamed over the old one: no moment where the
        # secrets sit in a file others may read, and no half-written .env after a crash.
        directory = self.path.resolve().parent
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".env.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def write_private_file(path: Path, text: str) -> None:
    """Create `path` readable by its owner only; an existing file is never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(path, 0o600)  # whatever the umask made of the mode above
