"""A slot's configured pytest session: pytest started once with the slot's arguments, and a
child forked from inside its collection for each run.

A run forked from the worker itself pays for a whole `pytest.main` before it collects a test:
parsing the arguments, registering pytest's and the installed plugins' hooks and fixtures,
loading the initial conftest files, starting the session; on a small suite that is most of
the run. A session does it once. The worker forks it for a slot, with the slot's arguments;
when pytest reaches `pytest_collection` the session stops there and serves that slot's runs
one at a time, each in a child that sets the run's test paths and plugins and goes on to
collect and run as pytest would have. The session's own process never collects or runs a
test, so no test module is imported in it; what the initial conftest files import is, and a
run whose candidate changes one of those modules is answered `stale` (the worker then runs it
in a child of its own).

  worker -> session: one run request a line (as the worker gets it)
  session -> worker: {"ready": true} once, or {"ended": why}; then for each run
      {"id": ..., "pid": its child's process} when it starts, then
      {"id": ..., "status": wait status, "timed_out": bool, "seconds": float};
      or {"id": ..., "stale": [path, ...]}

Standard library and pytest only, from Python 3.6 on.
"""

import contextlib
import gc
import inspect
import io
import json
import os
import select
import signal
import time
import tokenize
from typing import Any, Callable, Dict, Iterator, List, Optional

import kintsugi_run
import pytest


class SessionFailed(Exception):
    """The session could not start, or is gone; the reason says which and why."""


class SessionProcess(object):
    """The worker's handle on one slot's session process."""

    def __init__(self, pid: int, requests: int, answers: int) -> None:
        self.pid = pid
        self.requests = requests  # the worker writes run requests here
        self.answers = answers  # and reads the session's answers here
        self.running: Optional[Dict[str, Any]] = None  # the request it runs, if any
        self.run_pid: Optional[int] = None  # and the process running it
        self.started = 0.0
        self._pending = b""

    @classmethod
    def start(
        cls, args: List[str], output: str, seconds: float, in_child: Callable[[], None]
    ) -> "SessionProcess":
        """Fork the session and wait until it is ready to serve runs, at most `seconds`.
        `in_child` runs first in the session's process (to let go of the worker's files)."""
        to_session, requests = os.pipe()
        answers, from_session = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                os.setpgid(0, 0)
                os.close(requests)
                os.close(answers)
                in_child()
                code = _session_main(args, to_session, from_session, output)
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(to_session)
        os.close(from_session)
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        process = cls(pid, requests, answers)
        process._wait_ready(seconds)
        return process

    def _wait_ready(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.answers], [], [], left)[0]:
                self.close()
                raise SessionFailed("did not reach its collection within %g s" % seconds)
            answers, ended = self.read()
            for answer in answers:
                if answer.get("ready"):
                    return
                if answer.get("ended"):
                    self.close()
                    raise SessionFailed(str(answer["ended"]))
            if ended:
                self.close()
                raise SessionFailed("ended before its collection")

    def send(self, request: Dict[str, Any]) -> None:
        self.running = request
        self.run_pid = None
        self.started = time.monotonic()
        data = (json.dumps(request) + "\n").encode("utf-8")
        while data:
            data = data[os.write(self.requests, data) :]

    def read(self) -> "tuple[List[Dict[str, Any]], bool]":
        """The answers that have come (after a select said so), and whether it has ended."""
        chunk = os.read(self.answers, 1 << 16)
        self._pending += chunk
        answers = []
        while b"\n" in self._pending:
            line, self._pending = self._pending.split(b"\n", 1)
            answers.append(json.loads(line.decode("utf-8")))
        return answers, not chunk

    def close(self) -> None:
        """End the session and whatever run it has going."""
        if self.run_pid is not None:
            _kill_group(self.run_pid)
        for descriptor in (self.requests, self.answers):
            with contextlib.suppress(OSError):
                os.close(descriptor)
        with contextlib.suppress(OSError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(self.pid, 0)


def _session_main(args: List[str], requests: int, answers: int, output: str) -> int:
    """The session's process: pytest up to its collection, then the runs. In a run's child
    this returns too, when its pytest is done: its exit code."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    # Appending: a run's child empties the file and its output starts at the beginning.
    out = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    server = _Server(requests, answers, out)
    code = pytest.main(list(args), plugins=[server])
    if server.run is not None:
        server.run.finish()
        return int(code)
    _send(answers, {"ended": "pytest ended before collecting (exit code %d)" % int(code)})
    return 0


class _Server(object):
    """The plugin that turns the session's collection into serving runs."""

    def __init__(self, requests: int, answers: int, output: int) -> None:
        self.requests = requests
        self.answers = answers
        self.output = output
        self.run: Optional[kintsugi_run.Run] = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: Any) -> None:
        config = session.config
        defaults = list(config.args)
        warm_caches()
        if hasattr(gc, "freeze"):
            gc.freeze()  # the runs share these pages instead of copying them
        _send(self.answers, {"ready": True})
        for request in _lines(self.requests):
            stale = kintsugi_run.imported_files(list(request.get("overlay") or {}))
            if stale:
                _send(self.answers, {"id": request.get("id"), "stale": stale})
                continue
            pid = os.fork()
            if pid == 0:
                # The run's child: this run's paths and plugins, then pytest goes on.
                os.setpgid(0, 0)
                os.close(self.requests)
                os.close(self.answers)
                os.ftruncate(self.output, 0)
                self.run = kintsugi_run.Run(request)
                for plugin in self.run.plugins:
                    config.pluginmanager.register(plugin)
                config.args = list(request.get("paths") or defaults)
                _restart_clock(config)
                return None
            with contextlib.suppress(OSError):
                os.setpgid(pid, pid)
            _send(self.answers, {"id": request.get("id"), "pid": pid})
            _send(self.answers, _waited(request, pid))
        os._exit(0)  # the worker is gone or done


def _waited(request: Dict[str, Any], pid: int) -> Dict[str, Any]:
    """Wait for a run's child, ending it at its deadline; how it ended."""
    started = time.monotonic()
    deadline = started + float(request.get("timeout") or 60.0)
    timed_out = False
    pause = 0.0005
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() >= deadline:
            _kill_group(pid)
            done, status = os.waitpid(pid, 0)
            timed_out = True
            break
        time.sleep(pause)
        pause = min(pause * 2, 0.004)
    _kill_group(pid)  # whatever the tests started does not outlive their run
    return {
        "id": request.get("id"),
        "status": status,
        "timed_out": timed_out,
        "seconds": round(time.monotonic() - started, 4),
    }


def _restart_clock(config: Any) -> None:
    """The summary line says how long this run took, not how long the session has been up."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    started = getattr(reporter, "_session_start", None)  # pytest 8 on
    if started is not None:
        with contextlib.suppress(Exception):
            reporter._session_start = type(started)()
    elif hasattr(reporter, "_sessionstarttime"):  # earlier pytest
        reporter._sessionstarttime = time.time()


def warm_caches() -> None:
    """Fill the caches every run fills the same way, once, before the forks: `inspect`'s map
    of module files (a failure's traceback looks through every module for its source) and
    the patterns pytest compiles the first time it tokenizes a source or writes a report."""
    inspect.getmodule(None, "<kintsugi>")
    with contextlib.suppress(Exception):
        list(tokenize.generate_tokens(io.StringIO("x = 1\n").readline))
    with contextlib.suppress(Exception):
        from _pytest.junitxml import bin_xml_escape

        bin_xml_escape("x")


def _kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def _send(descriptor: int, message: Dict[str, Any]) -> None:
    data = (json.dumps(message) + "\n").encode("utf-8")
    while data:
        data = data[os.write(descriptor, data) :]


def _lines(descriptor: int) -> Iterator[Dict[str, Any]]:
    pending = b""
    while True:
        chunk = os.read(descriptor, 1 << 20)
        if not chunk:
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield json.loads(line.decode("utf-8"))
