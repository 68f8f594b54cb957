"""Runs inside the sandbox around a command: waits for its work directory, reports its usage.

bubblewrap does not pass its child's resource usage back out, so this stdlib-only script (run
as `python -I -S -c <source> REPORT_FD GATE_FD ARGV...`) speaks a small protocol with the host:

1. it writes `R` to REPORT_FD once the sandbox is set up, and waits for one byte on GATE_FD
   (the host fills the work directory meanwhile; end of file means give up);
2. it runs the command, waits for it with wait4, kills whatever the command left behind in the
   sandbox and waits until it is gone, so the work directory no longer changes;
3. it writes `{"cpu_seconds": ..., "peak_memory_mb": ...}` to REPORT_FD and closes it, then
   waits for end of file on GATE_FD (the host copies the results out meanwhile).

It exits as the command did, with death by signal N reported as 128+N.
"""

import contextlib
import json
import os
import signal
import sys
import time

_SETTLE_SECONDS = 2.0


def main() -> None:
    report_fd = int(sys.argv[1])
    gate_fd = int(sys.argv[2])
    argv = sys.argv[3:]
    for fd in (report_fd, gate_fd):
        os.set_inheritable(fd, False)
    _undumpable()
    os.write(report_fd, b"R")
    if not os.read(gate_fd, 1):
        os._exit(125)
    try:
        pid = os.posix_spawnp(argv[0], argv, dict(os.environ))
    except OSError as error:
        sys.stderr.write(f"{argv[0]}: {error.strerror}\n")
        os._exit(127)
    # Only the command holds the caller's pipes now: their end of file is the command's end.
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    _, status, usage = os.wait4(pid, 0)
    _end_the_rest()
    report = {
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_memory_mb": usage.ru_maxrss / 1024,
    }
    try:
        os.write(report_fd, json.dumps(report).encode())
    finally:
        os.close(report_fd)
    while os.read(gate_fd, 4096):
        pass
    code = os.waitstatus_to_exitcode(status)
    os._exit(128 - code if code < 0 else code)


def _undumpable() -> None:
    # The command runs as this process's uid: without this it could write a false report
    # through /proc/<pid>/fd.
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (ImportError, OSError, AttributeError):
        pass


def _end_the_rest() -> None:
    """Kill every other process of the sandbox (the pid namespace's init is spared by
    kill(-1)) and wait until they are gone."""
    with contextlib.suppress(OSError):
        os.kill(-1, signal.SIGKILL)
    own = {1, os.getpid()}
    deadline = time.monotonic() + _SETTLE_SECONDS
    while time.monotonic() < deadline:
        if not [
            entry for entry in os.listdir("/proc") if entry.isdigit() and int(entry) not in own
        ]:
            return
        time.sleep(0.002)


if __name__ == "__main__":
    main()
