"""The processes a benchmark runs against: start, wait for, measure the CPU of, and stop them."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
VENV_BIN = Path(sys.executable).parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def kintsugi_command(*args: str) -> list[str]:
    """`kintsugi …` from this interpreter's environment, whatever the shell's PATH says."""
    return [str(VENV_BIN / "kintsugi"), *args]


@contextmanager
def running(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    ready_url: str | None = None,
    ready_line: str | None = None,
    ready_timeout: float = 30.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `argv` for the duration of the block; first wait for `ready_url` to answer 200, or
    for the process to print `ready_line`.

    The process gets a session of its own, so a worker's children are stopped with it and a
    Ctrl-C on the benchmark reaches only the benchmark."""
    log = (cwd / f"{Path(argv[0]).name}-{time.monotonic_ns()}.log").open("wb")
    process = subprocess.Popen(
        list(argv),
        env={**os.environ, **env},
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        if ready_url is not None:
            _wait_ready(process, ready_url, ready_timeout, Path(log.name))
        if ready_line is not None:
            _wait_for_line(process, ready_line, ready_timeout, Path(log.name))
        yield process
    finally:
        stop(process)
        log.close()


def _wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def _wait_for_line(
    process: subprocess.Popen[bytes], needle: str, timeout: float, path: Path
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{process.args!r} exited early:\n{path.read_text()[-3000:]}")
        if path.exists() and needle in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise SystemExit(f"{process.args!r} never logged {needle!r}:\n{path.read_text()[-3000:]}")


def stop(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM (a warm shutdown for uvicorn, arq and Celery), then SIGKILL what is left of it."""
    if process.poll() is not None:
        return
    family = process_tree(process.pid)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    for child in family[1:]:  # a Celery pool the main process did not take down
        with suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)


def process_tree(pid: int) -> list[int]:
    """`pid` and every descendant, read from /proc."""
    found = [pid]
    for current in found:
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            found.extend(int(child) for child in children if int(child) not in found)
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of `pid` and its descendants so far."""
    total = 0
    for member in process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command name: state is field 3, utime 14 and stime 15 (1-based, proc(5)).
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def cpu_seconds_named(command: str) -> float:
    """CPU time so far of every process on the machine whose command name is `command`
    (a service the benchmark shares: PostgreSQL's backends, Redis)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, rest = text[text.index("(") + 1 : text.rindex(")")], text.rsplit(")", 1)[1]
        if name == command:
            fields = rest.split()
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


class CpuMeter:
    """CPU used from now until `read()`: by process trees (label -> pid), by services (label ->
    command name), and by this benchmark's children that finished meanwhile (the load
    generator, which `subprocess.run` waits for)."""

    def __init__(self, processes: Mapping[str, int], services: Mapping[str, str]) -> None:
        self.processes = dict(processes)
        self.services = dict(services)
        self.start = self._now()

    def _now(self) -> dict[str, float]:
        now = {label: cpu_seconds(pid) for label, pid in self.processes.items()}
        now |= {label: cpu_seconds_named(name) for label, name in self.services.items()}
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        now["load generator"] = children.ru_utime + children.ru_stime
        return now

    def read(self) -> dict[str, float]:
        now = self._now()
        return {label: now[label] - self.start[label] for label in now}


def idle_cpu_percent(pid: int, seconds: float) -> float:
    """Share of one core the process tree uses while nothing is sent to it."""
    before, started = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - before) / (time.monotonic() - started)
