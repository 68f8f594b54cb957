"""How a sandboxed run under bubblewrap starts and ends: its work directory filled before the
command runs, then the wait for the command, its wall clock or a full disk, and the copy back
of what it left when it ended by itself."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from app.workspace import TooManyEntries
from functions.sandbox_process import ProcessExit, SandboxedProcess
from functions.sandbox_stage import StagedWorkdir, StageFailed, child_pid, read_pipe

log = logging.getLogger(__name__)

_START_SECONDS = 30.0
# How long the sandbox may take to end once its results are collected.
_RELEASE_SECONDS = 5.0


@dataclass(frozen=True)
class Ending:
    """How a run ended, what the reaper reported, and whether its results were lost."""

    exit: ProcessExit
    report: bytes = b""
    timed_out: bool = False
    disk: bool = False
    lost: str = ""

    def note(self, disk_mb: int, tmp_mb: int) -> str:
        """What the run's stderr gets appended, naming the bound it reached."""
        if self.lost:
            return f"\n[sandbox: {self.lost}]\n"
        if self.disk:
            return (
                f"\n[sandbox: the run filled its {disk_mb} MB work directory or its "
                f"{tmp_mb} MB /tmp (SANDBOX_DISK_MB) and was stopped]\n"
            )
        return ""


async def until_ended(process: SandboxedProcess, wall_seconds: float, max_entries: int) -> Ending:
    """Wait for the command, `wall_seconds` or a full disk; copy its results back (at most
    `max_entries`) if it ended by itself."""
    remaining = max(0.0, wall_seconds)
    stage = process.stage
    if stage is None:
        try:
            return Ending(await asyncio.wait_for(process.wait(), remaining))
        except TimeoutError:
            process.kill()
            return Ending(await process.wait(), timed_out=True)
    reported = asyncio.ensure_future(stage.ended())
    filled = asyncio.ensure_future(stage.until_full())
    try:
        done, _ = await asyncio.wait(
            {reported, filled}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        filled.cancel()
        if not reported.done():
            reported.cancel()
    if reported not in done:
        process.kill()
        return Ending(await process.wait(), timed_out=filled not in done, disk=filled in done)
    report, disk, lost = reported.result(), False, ""
    # A full disk means a write was refused: what the run left is not worth copying back.
    if report and not (disk := stage.full()):
        try:
            await asyncio.to_thread(stage.collect, max_entries)
        except TooManyEntries as error:
            disk, lost = True, f"{error}: nothing was copied back"
        except (OSError, StageFailed) as error:
            lost = f"the run's results could not be copied back: {error}"
            log.warning("sandbox results not collected", extra={"reason": str(error)})
    stage.release()
    try:
        ended = await asyncio.wait_for(process.wait(), _RELEASE_SECONDS)
    except TimeoutError:
        process.kill()
        ended = await process.wait()
    return Ending(ended, report, disk=disk, lost=lost)


async def staged(stage: StagedWorkdir, info: int) -> None:
    """Wait until the sandbox is set up, then fill its work directory from the host."""
    if not await stage.ready(_START_SECONDS):
        raise StageFailed("the sandbox did not start (bubblewrap or the reaper failed)")
    said = await asyncio.wait_for(read_pipe(info, limit=65_536), _START_SECONDS)
    stage.attach(child_pid(said))
    await asyncio.to_thread(stage.fill)
