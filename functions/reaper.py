"""Runs inside the sandbox around a command and reports its CPU time and peak memory.

bubblewrap does not pass its child's resource usage back out, so this stdlib-only script (run
as `python -I -S -c <source> FD ARGV...`) waits for the command with wait4 and writes
`{"cpu_seconds": ..., "peak_memory_mb": ...}` to file descriptor FD. It exits as the command
did, with death by signal N reported as 128+N.
"""

import json
import os
import sys


def main() -> None:
    report_fd = int(sys.argv[1])
    argv = sys.argv[2:]
    os.set_inheritable(report_fd, False)
    try:
        pid = os.posix_spawnp(argv[0], argv, dict(os.environ))
    except OSError as error:
        sys.stderr.write(f"{argv[0]}: {error.strerror}\n")
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    report = {
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_memory_mb": usage.ru_maxrss / 1024,
    }
    try:
        os.write(report_fd, json.dumps(report).encode())
    finally:
        os.close(report_fd)
    code = os.waitstatus_to_exitcode(status)
    os._exit(128 - code if code < 0 else code)


if __name__ == "__main__":
    main()
