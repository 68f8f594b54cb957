"""A warm validation worker: pytest imported once, then one forked child per run.

Started as `python kintsugi_warm.py` in the work copy of a repository, inside the sandbox, with
the same variables as a cold `python -m pytest` there. It reads one JSON request a line on
stdin and answers each with one JSON line, carrying the request's "id", on the stdout it
started with; that descriptor is kept aside and everything else the process or its children
print goes to files. Runs are children of their own, so several may run at once (each
request names its own files); they are answered as they end.

  {"op": "start", "preload": [module, ...]}
      -> {"ready": true, "fork": bool, "python": str, "pytest": str, "preloaded": int,
          "threads": int}
  {"op": "run", "args": [pytest argument, ...], "want": [test id, ...] or null,
   "first": [test id, ...], "overlay": {absolute path: source}, "output": file, "meta": file,
   "coverage": file or null, "timeout": seconds,
   "session": {"key": slot, "args": [pytest argument, ...], "paths": [test path, ...]} or absent}
      -> {"exit": int or null, "signal": int or null, "timed_out": bool, "seconds": float,
          "tail": str, "unmatched": [test id, ...], "stale": [path, ...],
          "via": "session" or "process"}
  {"op": "exit"}  (or end of input)

A run with a `session` goes to that slot's configured pytest session (`kintsugi_session`:
pytest started once with the session's arguments, the run's child forked from inside its
collection with the run's paths), unless the slot has none (it could not start, it is busy
or lost, or it imported a module the run changes): then, like a run without one, it gets a
child of the worker running `pytest.main` with its `args`.

A run's child serves the `overlay` sources in place of the files at those paths when they are
imported (they never were in this process), keeps only the `want`ed tests (test ids as
Kintsugi reads them from a JUnit report), runs the `first` ones first, and with `coverage`
records the lines of the work copy each test executed. Only the standard library and pytest:
it runs on the repository's interpreter, from Python 3.6 on.
"""

import contextlib
import gc
import importlib
import json
import os
import select
import signal
import sys
import threading
import time
from typing import Any, Dict, List, Optional, Set

import kintsugi_run
import kintsugi_session
import pytest

TAIL_BYTES = 6000
REPORT_BYTES = 48 * 1024 * 1024  # a JUnit report or a coverage map sent back
RECORD_BYTES = 4 * 1024 * 1024  # a hang record (every thread's stack)
MAX_LISTED = kintsugi_run.MAX_LISTED


def _child(request: Dict[str, Any], protocol: int) -> int:
    """One pytest run in this (forked) process; its exit code."""
    os.close(protocol)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    _quiet()
    run = kintsugi_run.Run(request)
    code = pytest.main(list(request.get("args") or []), plugins=run.plugins)
    run.finish()
    return int(code)


def _quiet() -> None:
    if _PRELOADED and _can_quiet():
        _quiet_preloaded(_PRELOADED)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def _tail(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - TAIL_BYTES))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _read_meta(path: str) -> Dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            meta = json.load(handle)
        os.unlink(path)
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


class _Running(object):
    """A child running one request, and when it is due to end."""

    def __init__(self, request: Dict[str, Any], pid: int) -> None:
        self.request = request
        self.pid = pid
        self.started = time.monotonic()
        self.deadline = self.started + float(request.get("timeout") or 60.0)


def start_run(request: Dict[str, Any], protocol: int) -> _Running:
    """Fork the child for one run request."""
    pid = os.fork()
    if pid == 0:
        code = 70
        try:
            os.setpgid(0, 0)
            code = _child(request, protocol)
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    with contextlib.suppress(OSError):  # the child did it first, or is gone already
        os.setpgid(pid, pid)
    return _Running(request, pid)


def _take(path: Optional[str], limit: int) -> Optional[str]:
    """The text of a file a run left (at most `limit` bytes), removed; None when it left none.
    The work copy is the sandbox's own: what is read back travels in the answer."""
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
        os.unlink(path)
    except OSError:
        return None
    if len(data) > limit:
        return None
    return data.decode("utf-8", "replace")


def _clear(request: Dict[str, Any]) -> None:
    for key in ("junit", "coverage", "meta"):
        if request.get(key):
            with contextlib.suppress(OSError):
                os.unlink(request[key])
    if request.get("record"):
        with contextlib.suppress(OSError), open(request["record"], "w"):
            pass


def finished(
    request: Dict[str, Any], status: Optional[int], timed_out: bool, seconds: float, via: str
) -> Dict[str, Any]:
    """The answer to a run that ended (`status` None: its process was lost)."""
    meta = _read_meta(request["meta"])
    exited = status is not None and os.WIFEXITED(status)
    return {
        "junit": _take(request.get("junit"), REPORT_BYTES),
        "record": _take(request.get("record"), RECORD_BYTES),
        "coverage_data": _take(request.get("coverage"), REPORT_BYTES),
        "id": request.get("id"),
        "exit": os.WEXITSTATUS(status) if status is not None and exited else None,
        "signal": os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None,
        "timed_out": timed_out,
        "seconds": round(seconds, 4),
        "tail": _tail(request["output"]),
        "unmatched": list(meta.get("unmatched") or [])[:MAX_LISTED],
        "stale": [],
        "via": via,
    }


def reap(running: Dict[int, _Running]) -> List[Dict[str, Any]]:
    """Answers for the children that ended, or ran out of time and were ended."""
    answers = []
    for pid, child in list(running.items()):
        done, status = os.waitpid(pid, os.WNOHANG)
        timed_out = False
        if not done and time.monotonic() >= child.deadline:
            _kill_group(pid)
            done, status = os.waitpid(pid, 0)
            timed_out = True
        if done:
            del running[pid]
            _kill_group(pid)  # whatever the tests started does not outlive their run
            seconds = time.monotonic() - child.started
            answers.append(finished(child.request, status, timed_out, seconds, "process"))
    return answers


class Sessions(object):
    """The slots' configured sessions (`kintsugi_session`): started at a slot's first run
    that asks for one, each serving its slot's runs one at a time. A session that cannot
    start, or is lost, is not started again: that slot's runs fork from the worker."""

    def __init__(self, protocol: int) -> None:
        self.protocol = protocol
        self.live: Dict[str, kintsugi_session.SessionProcess] = {}
        self.failed: Dict[str, str] = {}

    def take(self, request: Dict[str, Any]) -> bool:
        """Send a run to its slot's session; False when it has none to go to."""
        wanted = request.get("session")
        if not isinstance(wanted, dict):
            return False
        key = str(wanted.get("key"))
        if key in self.failed:
            return False
        session = self.live.get(key)
        if session is None:
            try:
                session = kintsugi_session.SessionProcess.start(
                    list(wanted.get("args") or []),
                    request["output"],
                    float(request.get("timeout") or 60.0),
                    self._in_child,
                )
            except kintsugi_session.SessionFailed as failed:
                self.failed[key] = str(failed)
                return False
            self.live[key] = session
        if session.running is not None:
            return False
        _clear(request)
        session.send(dict(request, paths=list(wanted.get("paths") or [])))
        return True

    def _in_child(self) -> None:
        os.close(self.protocol)
        for session in self.live.values():
            os.close(session.requests)
            os.close(session.answers)
        _quiet()

    def busy(self) -> List[int]:
        return [session.answers for session in self.live.values() if session.running]

    def answers(self, readable: List[int], running: Dict[int, "_Running"]) -> List[Dict[str, Any]]:
        """Answers for the sessions' runs that ended; a run a session found stale is started
        from the worker instead (its answer comes when it ends)."""
        replies = []
        for key, session in list(self.live.items()):
            if session.answers not in readable:
                continue
            answers, ended = session.read()
            for answer in answers:
                request = session.running
                if request is None or answer.get("id") != request.get("id"):
                    continue
                if "pid" in answer:
                    session.run_pid = int(answer["pid"])
                    continue
                session.running = None
                session.run_pid = None
                if answer.get("stale"):
                    child = start_run(request, self.protocol)
                    running[child.pid] = child
                    continue
                replies.append(
                    finished(
                        request,
                        int(answer["status"]),
                        bool(answer.get("timed_out")),
                        float(answer.get("seconds") or 0.0),
                        "session",
                    )
                )
            if ended:
                self.failed[key] = "the session ended"
                del self.live[key]
                session.close()  # and the run it had going
                if session.running is not None:
                    # Lost with its session: whatever the run left is not to be trusted.
                    _clear(session.running)
                    seconds = time.monotonic() - session.started
                    replies.append(finished(session.running, None, False, seconds, "session"))
        return replies

    def close(self) -> None:
        for session in self.live.values():
            session.close()
        self.live.clear()


def _quiet_preloaded(preloaded: Set[str]) -> None:
    """pytest warns that a plugin imported before it starts cannot have its asserts rewritten
    (an error where warnings are): the worker imported them on purpose, so not for those."""
    from _pytest.assertion.rewrite import AssertionRewritingHook

    warn = AssertionRewritingHook._warn_already_imported

    def quiet(self: Any, name: str) -> None:
        if name not in preloaded:
            warn(self, name)

    AssertionRewritingHook._warn_already_imported = quiet  # type: ignore[method-assign]


def _can_quiet() -> bool:
    try:
        from _pytest.assertion.rewrite import AssertionRewritingHook
    except ImportError:
        return False
    return callable(getattr(AssertionRewritingHook, "_warn_already_imported", None))


def _plugin_modules() -> List[str]:
    """The modules of the installed pytest plugins (`pytest11` entry points)."""
    try:
        from importlib import metadata
    except ImportError:
        return []
    names: List[str] = []
    for dist in metadata.distributions():
        for ep in dist.entry_points:
            if ep.group == "pytest11":
                names.append(ep.value.split(":")[0].strip())
    return names


_PRELOADED: Set[str] = set()


def preload(names: List[str]) -> int:
    """Import pytest's own plugins, the installed pytest plugins and the repository's
    third-party imports, so that no run pays for them again; how many of `names` loaded."""
    cwd = os.path.realpath(os.getcwd()) + os.sep
    try:
        from _pytest.config import default_plugins, essential_plugins

        builtin = list(essential_plugins) + list(default_plugins)
    except ImportError:
        builtin = []
    for name in builtin:
        try:
            importlib.import_module("_pytest." + name)
        except Exception:
            continue
    if not os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") and _can_quiet():
        for name in _plugin_modules():
            try:
                importlib.import_module(name)
            except BaseException:
                continue  # the run reports it, as a cold one would
    loaded = 0
    for name in names:
        if name in sys.modules:
            continue
        before = set(sys.modules)
        try:
            module = importlib.import_module(name)
        except BaseException:
            _forget(set(sys.modules) - before)
            continue  # left to the runs to import
        filename = os.path.realpath(getattr(module, "__file__", None) or "")
        if filename.startswith(cwd):
            # The repository's own module: each run imports the candidate's version.
            _forget(set(sys.modules) - before)
            continue
        loaded += 1
    _PRELOADED.update(sys.modules)
    return loaded


def _forget(names: Set[str]) -> None:
    for name in names:
        sys.modules.pop(name, None)


def answer_for(request: Dict[str, Any]) -> Dict[str, Any]:
    op = request.get("op")
    if op == "start":
        loaded = preload(list(request.get("preload") or []))
        kintsugi_session.warm_caches()
        if hasattr(gc, "freeze"):
            gc.freeze()  # the children share these pages instead of copying them
        return {
            "id": request.get("id"),
            "ready": True,
            "fork": hasattr(os, "fork"),
            "python": "%d.%d.%d" % sys.version_info[:3],
            "pytest": str(pytest.__version__),
            "preloaded": loaded,
            "threads": threading.active_count(),
        }
    return {"id": request.get("id"), "error": "unknown request %r" % (op,)}


def main() -> None:
    protocol = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    answers = os.fdopen(protocol, "w", encoding="utf-8")
    # Like `python -m pytest`: the work copy, not this file's directory, is first on the path.
    sys.path[0] = os.getcwd()
    # The copy is the worker's own: what one run compiles (pytest's rewritten test modules,
    # the unchanged modules) the next one reads back instead of compiling again. A changed
    # module is compiled from the candidate's source and never cached.
    sys.dont_write_bytecode = False
    running: Dict[int, _Running] = {}
    sessions = Sessions(protocol)
    pending = b""
    ended = False
    while not ended:
        # Requests and the sessions' answers are read as they come; the worker's own
        # children are looked at every few milliseconds.
        waiting = [0, *sessions.busy()]
        readable = select.select(waiting, [], [], 0.003 if running else None)[0]
        replies: List[Dict[str, Any]] = sessions.answers(readable, running)
        if 0 in readable:
            chunk = os.read(0, 1 << 20)
            if not chunk:
                ended = True
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line.decode("utf-8"))
                if request.get("op") == "exit":
                    ended = True
                    break
                if request.get("op") != "run":
                    replies.append(answer_for(request))
                    continue
                stale = kintsugi_run.imported_files(list(request.get("overlay") or {}))
                if stale:
                    replies.append({"id": request.get("id"), "stale": stale})
                    continue
                if sessions.take(request):
                    continue
                _clear(request)
                child = start_run(request, protocol)
                running[child.pid] = child
        replies += reap(running)
        for reply in replies:
            answers.write(json.dumps(reply) + "\n")
        if replies:
            answers.flush()
    sessions.close()  # the host is gone or done: so are the runs
    for pid in list(running):
        _kill_group(pid)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
