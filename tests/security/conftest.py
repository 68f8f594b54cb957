"""A hostile repository and a host with secrets beside it, and a runner that reads whatever a
repository's code could reach from its working directory."""

from __future__ import annotations

import os
import secrets
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.healing.runner import CommandResult
from tests.functions.conftest import sandbox
from tests.github.conftest import app_key, fake_github

__all__ = ["app_key", "fake_github", "sandbox"]

# What the host holds: a file of secrets, a folder of them, a test report and a pyproject.
HOST_REPORT = textwrap.dedent(
    """\
    <?xml version="1.0" encoding="utf-8"?>
    <testsuites><testsuite name="pytest" tests="1">
    <testcase classname="tests.test_host" name="test_{secret}" file="tests/test_host.py"/>
    </testsuite></testsuites>
    """
)


@dataclass(frozen=True)
class Host:
    """Files of the machine Kintsugi runs on, outside every repository."""

    root: Path
    secret: str

    @property
    def secret_file(self) -> Path:
        return self.root / "secret.env"

    @property
    def secret_dir(self) -> Path:
        return self.root / "private"

    @property
    def report(self) -> Path:
        return self.root / "report.xml"

    @property
    def python(self) -> Path:
        return self.root / "settings.py"

    def leaked(self, data: str | bytes) -> bool:
        """Whether `data` shows the secret, as text or hex-encoded."""
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        return self.secret in text or self.secret.encode().hex() in text


@pytest.fixture
def host(tmp_path: Path) -> Host:
    made = Host(tmp_path / "host", f"hostsecret{secrets.token_hex(8)}")
    made.secret_dir.mkdir(parents=True)
    made.secret_file.write_text(f"API_TOKEN={made.secret}\n")
    (made.secret_dir / "id_rsa").write_text(f"-----KEY {made.secret}-----\n")
    made.report.write_text(HOST_REPORT.format(secret=made.secret))
    # Not shaped like a credential: redaction of prompts would not catch it.
    made.python.write_text(f'"""Host settings."""\n\n\ndef token():\n    return "{made.secret}"\n')
    return made


# Every way a link can lead out: absolute and relative, to a file and to a folder, a chain,
# one through a linked folder, deep in nested folders, and the process's own environment.
def escaping_links(repo: Path, host: Host) -> dict[str, str]:
    depth = "../" * 4
    return {
        "env.txt": "/proc/self/environ",
        "dotenv": str(host.secret_file),
        "pkg/nested/deep/relative.txt": f"{depth}{host.root.name}/secret.env",
        "keys": str(host.secret_dir),
        "chain_a": "chain_b",
        "chain_b": str(host.secret_file),
        "through_folder": "keys/id_rsa",
    }


def hostile_repository(root: Path, host: Host) -> Path:
    """A small project with every escaping link, and links that stay inside (which are kept)."""
    (root / "pkg" / "nested" / "deep").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "core.py").write_text("def add(a, b):\n    return a + b\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_core.py").write_text(
        "from pkg.core import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    for path, target in escaping_links(root, host).items():
        os.symlink(target, root / path)
    os.symlink("pkg/core.py", root / "inside_file")
    os.symlink("pkg", root / "inside_folder")
    return root


@pytest.fixture
def repo(tmp_path: Path, host: Host) -> Path:
    return hostile_repository(tmp_path / "repo", host)


def environ_prefix() -> bytes:
    """The start of this process's own environment, as `/proc/self/environ` shows it."""
    return Path("/proc/self/environ").read_bytes()[:48]


@dataclass
class PryingRunner:
    """A `CommandRunner` that, like a repository's code would, reads every file it can reach
    from its working directory (following links), and may leave links behind (`plant`)."""

    plant: Callable[[Path], None] | None = None
    seen: dict[str, bytes] = field(default_factory=dict)
    workdirs: list[Path] = field(default_factory=list)

    async def run(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        timeout_seconds: float,
        readonly: Sequence[Path] = (),
        env: Mapping[str, str] | None = None,
    ) -> CommandResult:
        self.workdirs.append(workdir)
        self._pry(workdir)
        if self.plant is not None:
            self.plant(workdir)
        return CommandResult(1, "", "", 0.01, "ok")

    def _pry(self, workdir: Path) -> None:
        for folder, _, names in os.walk(workdir, followlinks=True):
            if folder.count(os.sep) - str(workdir).count(os.sep) > 8:
                continue
            for name in names:
                path = Path(folder, name)
                try:
                    with open(path, "rb") as file:
                        self.seen[str(path.relative_to(workdir))] = file.read(1 << 20)
                except OSError:
                    continue

    def leaked(self, host: Host) -> list[str]:
        environ = environ_prefix()
        return sorted(
            path for path, data in self.seen.items() if host.leaked(data) or environ in data
        )
