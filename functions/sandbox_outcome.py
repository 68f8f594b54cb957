"""Why a sandboxed run ended, and the usage figures measured inside it."""

from __future__ import annotations

import dataclasses
import json
from typing import Literal

from functions.sandbox_process import ProcessExit

Outcome = Literal["ok", "error", "timeout", "memory", "disk", "killed"]

_SIGXCPU = 24
_SIGKILL = 9
_MEMORY_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")


def with_measured_usage(ended: ProcessExit, report: bytes) -> ProcessExit:
    """The reaper's figures for the command itself, when it lived to write them."""
    try:
        usage = json.loads(report)
        return dataclasses.replace(
            ended,
            cpu_seconds=float(usage["cpu_seconds"]),
            peak_memory_mb=float(usage["peak_memory_mb"]),
        )
    except (ValueError, KeyError, TypeError):
        return ended


def run_outcome(
    ended: ProcessExit, timed_out: bool, cpu_limit: float, stderr: str, disk: bool = False
) -> Outcome:
    """Why a run ended, from how its process exited and what it said last; `disk` when its
    work directory or /tmp filled up."""
    if timed_out:
        return "timeout"
    if disk:
        return "disk"
    if ended.signal == _SIGXCPU or (ended.signal == _SIGKILL and ended.cpu_seconds >= cpu_limit):
        return "timeout"
    if ended.exit_code != 0 and any(marker in stderr[-2_000:] for marker in _MEMORY_MARKERS):
        return "memory"
    if ended.signal is not None:
        return "killed"
    return "ok" if ended.exit_code == 0 else "error"
