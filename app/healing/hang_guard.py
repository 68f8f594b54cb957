"""Per-test time limits for a suite run, and reading the stack of a test that hung past them.

The limits are enforced inside the run by the `kintsugi_hangs` pytest plugin (see
`app/healing/pytest_plugins/`): a test past its limit fails with the stack where it was stuck,
so a loop in the code under test is an ordinary failing test that localisation can start from,
not a run that ends on its wall clock with no report."""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from app.healing.incidents.model import ExceptionInfo, Frame
from app.healing.pytest_plugins import PLUGIN_DIR
from app.workspace import RepositoryPathRefused, read_bytes

if TYPE_CHECKING:
    from app.healing.suite import SuiteReport

PLUGIN = "kintsugi_hangs"
HUNG_TYPE = "HungTest"  # the exception the plugin fails a hung test with
RECORD_FILE = ".kintsugi-hang.txt"
# A faulthandler dump of every thread; far past what a real stack writes.
_RECORD_MAX_BYTES = 4 * 1024 * 1024
_MARKER = "KINTSUGI-HUNG "
_THREAD = re.compile(r"^(Current thread|Thread) 0x[0-9a-f]+")
_FAULT_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<func>.+?)\s*$')


@dataclass(frozen=True)
class HangGuard:
    """How long a test may run. A test of the baseline run gets `factor` times its duration
    there, never less than `floor_seconds`; any other test `default_seconds` (0: unbounded)."""

    default_seconds: float = 10.0
    factor: float = 10.0
    floor_seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.default_seconds < 0 or self.factor <= 0 or self.floor_seconds <= 0:
            raise ValueError(
                "test time limits must be positive: "
                f"default {self.default_seconds}, factor {self.factor}, floor {self.floor_seconds}"
            )

    def limits(self, baseline: SuiteReport) -> dict[str, float]:
        """Per-test limits from a baseline run. A test that hung there says nothing of how
        long it takes once fixed: it may take as long as the slowest limit of another test,
        and no longer than `default_seconds`."""
        hung = {
            node_id
            for node_id, chain in baseline.chains.items()
            if chain and chain[-1].short_type == HUNG_TYPE
        }
        limits = {
            node_id: round(max(self.floor_seconds, self.factor * seconds), 3)
            for node_id, seconds in baseline.durations.items()
            if node_id not in hung
        }
        if limits and hung:
            slowest = max(limits.values())
            if self.default_seconds:
                slowest = min(slowest, self.default_seconds)
            limits.update(dict.fromkeys(hung, slowest))
        return limits


@dataclass(frozen=True)
class GuardedRun:
    """What a guarded pytest run needs beyond its command: the plugin's arguments, the
    environment that makes it importable, and the directories bound read-only for it.
    `limits` is the file the plugin reads its limits from when a run starts."""

    args: tuple[str, ...]
    env: dict[str, str]
    readonly: tuple[Path, ...]
    record: Path = field(compare=False)
    limits: Path = field(compare=False)

    def write_limits(self, guard: HangGuard, per_test: Mapping[str, float]) -> None:
        """Replace the limits: the runs that start after this read the new ones (a process
        that was started before, such as a warm worker, included)."""
        self.limits.write_text(
            json.dumps(
                {
                    "default_seconds": guard.default_seconds,
                    "tests": dict(per_test),
                    "record": str(self.record),
                }
            ),
            encoding="utf-8",
        )
        # The run may be dropped to another uid: the limits must be readable by anyone.
        os.chmod(self.limits, 0o644)


@contextlib.contextmanager
def guarded_run(
    guard: HangGuard, workdir: Path, per_test: Mapping[str, float]
) -> Iterator[GuardedRun]:
    """The plugin and its limits staged for one run of the suite in `workdir`."""
    with tempfile.TemporaryDirectory(prefix="kintsugi-hangs-") as staging:
        os.chmod(staging, 0o755)
        staged = GuardedRun(
            args=("-p", PLUGIN, f"--kintsugi-hangs={Path(staging) / 'limits.json'}"),
            env={"PYTHONPATH": str(PLUGIN_DIR)},
            readonly=(PLUGIN_DIR, Path(staging)),
            record=workdir / RECORD_FILE,
            limits=Path(staging) / "limits.json",
        )
        staged.write_limits(guard, per_test)
        yield staged


@dataclass(frozen=True)
class HungInC:
    """A test that hung where the plugin's signal could not reach it (a C call holding the
    interpreter): the process was ended and `exception` holds the stack faulthandler wrote."""

    node_id: str
    exception: ExceptionInfo


def read_hang_record(workdir: Path) -> HungInC | None:
    """The test a run was ended on, from the record the plugin keeps in `workdir`; None when
    it ended between tests or the record is absent (or is not a file of the work dir)."""
    try:
        data = read_bytes(workdir, RECORD_FILE, max_bytes=_RECORD_MAX_BYTES)
    except (FileNotFoundError, RepositoryPathRefused):
        return None
    return hang_from_record(data.decode("utf-8", errors="replace"))


def hang_from_record(text: str) -> HungInC | None:
    """The test a run was ended on, from the text of the plugin's record (None: no test)."""
    header, _, dump = text.partition("\n")
    if not header.startswith(_MARKER) or not dump.strip():
        return None
    node_id, _, seconds = header.removeprefix(_MARKER).rpartition(" ")
    frames = _main_stack(dump, node_id.partition("::")[0])
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "an unknown frame"
    value = (
        f"{node_id} ran past its time limit of {seconds} s inside a call that could not be "
        f"interrupted; it was stopped at {where}"
    )
    return HungInC(node_id, ExceptionInfo(HUNG_TYPE, value, frames))


def _main_stack(dump: str, test_file: str) -> tuple[Frame, ...]:
    """The stack (caller first) of the thread that was running the test."""
    stacks: list[list[Frame]] = []
    for line in dump.splitlines():
        if _THREAD.match(line):
            stacks.append([])
            continue
        match = _FAULT_FRAME.match(line)
        if match and stacks:
            stacks[-1].append(Frame(match["file"], match["func"], int(match["line"])))
    for stack in stacks:
        callers_first = stack[::-1]
        starts = [i for i, f in enumerate(callers_first) if f.filename.endswith(test_file)]
        if test_file and starts:
            return tuple(callers_first[starts[0] :])  # from the test down, without pytest's
    return tuple(reversed(stacks[0])) if stacks else ()
