"""Measuring a speedup: the repository's own benchmark command, run in the sandbox on the code
before and after a rewrite, alternately, several times; the medians and the fastest runs
decide together."""

from __future__ import annotations

import shlex
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.environments.environment import Environment
from app.healing.runner import CommandRunner
from app.workspace import copy_repository, write_text

# The after-median must be at least this much below the before-median, and the fastest after-run
# this much below the fastest before-run (10 %: well above the run-to-run noise of a sandboxed
# command on a shared machine). Load only ever adds time, so the fastest runs are the least
# disturbed; a burst of load over the before-runs alone moves the medians but not both.
MIN_GAIN = 0.10
REPETITIONS = 5


class BenchmarkFailed(RuntimeError):
    """The benchmark command did not run clean, so it measures nothing."""


@dataclass(frozen=True)
class BenchmarkFigures:
    """Wall-clock seconds of each run of the benchmark command, before and after."""

    command: str
    before: tuple[float, ...]
    after: tuple[float, ...]
    margin: float = MIN_GAIN

    @property
    def median_before(self) -> float:
        return statistics.median(self.before)

    @property
    def median_after(self) -> float:
        return statistics.median(self.after)

    @property
    def best_before(self) -> float:
        return min(self.before)

    @property
    def best_after(self) -> float:
        return min(self.after)

    @property
    def gain(self) -> float:
        """The fraction of the before-median saved (negative: slower)."""
        return _saved(self.median_before, self.median_after)

    @property
    def best_gain(self) -> float:
        """The fraction of the fastest before-run saved by the fastest after-run."""
        return _saved(self.best_before, self.best_after)

    @property
    def faster(self) -> bool:
        return self.gain >= self.margin and self.best_gain >= self.margin

    def verdict(self) -> str:
        return (
            f"median {self.median_before:.3f} s before, {self.median_after:.3f} s after "
            f"({self.gain:+.1%} saved), fastest {self.best_before:.3f} s before, "
            f"{self.best_after:.3f} s after ({self.best_gain:+.1%} saved); at least "
            f"{self.margin:.0%} needed on both, over {len(self.before)} runs each of "
            f"`{self.command}`"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "before_seconds": [round(s, 4) for s in self.before],
            "after_seconds": [round(s, 4) for s in self.after],
            "median_before": round(self.median_before, 4),
            "median_after": round(self.median_after, 4),
            "gain": round(self.gain, 4),
            "best_before": round(self.best_before, 4),
            "best_after": round(self.best_after, 4),
            "best_gain": round(self.best_gain, 4),
            "margin": self.margin,
        }


def _saved(before: float, after: float) -> float:
    return 1.0 - after / before if before > 0 else 0.0


def benchmark_argv(command: str, python: Path | None = None) -> list[str]:
    """The command as argv; `python` is the repository environment's interpreter (`python`),
    or without one the interpreter the sandbox exposes, as for tests."""
    argv = shlex.split(command)
    if not argv:
        raise BenchmarkFailed("the benchmark command is empty")
    if argv[0] in ("python", "python3"):
        argv[0] = str(python) if python is not None else sys.executable
    return argv


async def measure(
    runner: CommandRunner,
    root: Path,
    changes: dict[str, str],
    command: str,
    *,
    repetitions: int = REPETITIONS,
    margin: float = MIN_GAIN,
    timeout_seconds: float = 120.0,
    environment: Environment | None = None,
) -> BenchmarkFigures:
    """Time `command` on `root` as it is and with `changes` applied, in the sandbox.

    One unrecorded warm-up run each (file caches, byte-code), then before and after in turn,
    so drift in the machine's load falls on both alike."""
    argv = benchmark_argv(command, environment.python if environment is not None else None)
    with tempfile.TemporaryDirectory(prefix="kintsugi-bench-") as scratch:
        trees = {}
        for label, applied in (("before", {}), ("after", changes)):
            copy = Path(scratch) / label
            copy_repository(root, copy, ignore=shutil.ignore_patterns(".git", "__pycache__"))
            for path, text in applied.items():
                write_text(copy, path, text)
            trees[label] = copy
        seconds: dict[str, list[float]] = {"before": [], "after": []}
        for round_ in range(repetitions + 1):
            order = ("before", "after") if round_ % 2 == 0 else ("after", "before")
            for label in order:
                result = await runner.run(
                    argv,
                    workdir=trees[label],
                    timeout_seconds=timeout_seconds,
                    readonly=environment.readonly_paths() if environment is not None else (),
                    env=environment.variables(trees[label]) if environment is not None else None,
                )
                if result.exit_code != 0:
                    tail = (result.stderr or result.stdout)[-300:].strip()
                    raise BenchmarkFailed(
                        f"`{command}` exited {result.exit_code} on the code {label} the "
                        f"rewrite ({result.outcome}): {tail}"
                    )
                if round_ > 0:
                    seconds[label].append(result.wall_seconds)
    return BenchmarkFigures(command, tuple(seconds["before"]), tuple(seconds["after"]), margin)
