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
   "coverage": file or null, "timeout": seconds}
      -> {"exit": int or null, "signal": int or null, "timed_out": bool, "seconds": float,
          "tail": str, "unmatched": [test id, ...], "stale": [path, ...]}
  {"op": "exit"}  (or end of input)

A run's child serves the `overlay` sources in place of the files at those paths when they are
imported (they never were in this process), keeps only the `want`ed tests (test ids as
Kintsugi reads them from a JUnit report), runs the `first` ones first, and with `coverage`
records the lines of the work copy each test executed. Only the standard library and pytest:
it runs on the repository's interpreter, from Python 3.6 on.
"""

import contextlib
import gc
import importlib
import importlib.machinery
import json
import linecache
import os
import select
import signal
import sys
import threading
import time
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest

TAIL_BYTES = 6000
REPORT_BYTES = 48 * 1024 * 1024  # a JUnit report or a coverage map sent back
RECORD_BYTES = 4 * 1024 * 1024  # a hang record (every thread's stack)
MAX_LISTED = 200


def _junit_id(nodeid: str, location_file: str) -> str:
    """The test id Kintsugi reads back from pytest's JUnit report (xunit1) for this test."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = names[0].replace("/", ".")
    if names[0].endswith(".py"):
        names[0] = names[0][: -len(".py")]
    names[-1] += bracket + params
    classname = ".".join(names[:-1])
    name = names[-1]
    if not location_file:
        return classname + "::" + name
    module = location_file[:-3] if location_file.endswith(".py") else location_file
    module = module.replace("/", ".")
    inner = classname[len(module) :] if classname.startswith(module) else classname
    return "::".join(part for part in (location_file, inner.strip("."), name) if part)


def _item_id(item: Any) -> str:
    location = getattr(item, "location", None) or ("",)
    return _junit_id(item.nodeid, str(location[0] or ""))


class _OverlayLoader(importlib.machinery.SourceFileLoader):
    """Loads a module from the candidate's source instead of the file at its path."""

    def __init__(self, fullname: str, path: str, source: str) -> None:
        super().__init__(fullname, path)
        self._source = source

    def get_source(self, fullname: str) -> str:
        return self._source

    def get_data(self, path: str) -> bytes:
        if os.path.realpath(path) == os.path.realpath(self.path):
            return self._source.encode("utf-8")
        return super().get_data(path)

    def get_code(self, fullname: str) -> Any:
        return compile(self._source, self.path, "exec", dont_inherit=True)


class _Overlay:
    """A meta path finder: the modules whose files are overlaid load from the overlay."""

    def __init__(self, sources: Dict[str, str]) -> None:
        self.sources = {os.path.realpath(path): text for path, text in sources.items()}

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or not spec.origin:
            return None
        origin = os.path.realpath(spec.origin)
        source = self.sources.get(origin)
        if source is None:
            return None
        spec.loader = _OverlayLoader(name, spec.origin, source)
        return spec


class _Selection:
    """Keeps the wanted tests, the first ones first, and notes the wanted ones not found."""

    def __init__(self, want: Optional[List[str]], first: List[str], overlay: _Overlay) -> None:
        self.want = set(want) if want is not None else None
        self.first = set(first)
        self.overlay = overlay
        self.unmatched: List[str] = []

    def pytest_configure(self, config: Any) -> None:
        # pytest puts its assertion rewriter first on the path at start-up: the overlay goes
        # before it, so a changed module is never read from its file.
        if self.overlay in sys.meta_path:
            sys.meta_path.remove(self.overlay)
        sys.meta_path.insert(0, self.overlay)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: Any, config: Any, items: List[Any]) -> None:
        found: Set[str] = set()
        kept: List[Any] = []
        dropped: List[Any] = []
        for item in items:
            test_id = _item_id(item)
            if self.want is None or test_id in self.want:
                kept.append(item)
                found.add(test_id)
            else:
                dropped.append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        if self.want is not None:
            self.unmatched = sorted(self.want - found)
        kept.sort(key=lambda item: 0 if _item_id(item) in self.first else 1)
        items[:] = kept


class _Coverage:
    """The lines of files under `root` each test executed (its setup and teardown included)."""

    def __init__(self, root: str) -> None:
        self.root = os.path.realpath(root) + os.sep
        self.inside: Dict[str, Optional[str]] = {}
        self.current: Optional[Set[Tuple[str, int]]] = None
        self.tests: Dict[str, Dict[str, List[int]]] = {}

    def _relative(self, filename: str) -> Optional[str]:
        if filename not in self.inside:
            real = os.path.realpath(filename)
            self.inside[filename] = real[len(self.root) :] if real.startswith(self.root) else None
        return self.inside[filename]

    def _call(self, frame: Any, event: str, arg: Any) -> Any:
        if self._relative(frame.f_code.co_filename) is None:
            return None
        return self._line

    def _line(self, frame: Any, event: str, arg: Any) -> Any:
        current = self.current
        if event == "line" and current is not None:
            current.add((frame.f_code.co_filename, frame.f_lineno))
        return self._line

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> Iterator[None]:
        self.current = set()
        threading.settrace(self._call)
        sys.settrace(self._call)
        try:
            yield
        finally:
            sys.settrace(None)
            threading.settrace(None)
            lines, self.current = self.current or set(), None
            per_file: Dict[str, Set[int]] = {}
            for filename, number in lines:
                relative = self._relative(filename)
                if relative is not None:
                    per_file.setdefault(relative, set()).add(number)
            self.tests[_item_id(item)] = {k: sorted(v) for k, v in per_file.items()}


def _child(request: Dict[str, Any], protocol: int) -> int:
    """One pytest run in this (forked) process; its exit code."""
    os.close(protocol)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    output = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    if _PRELOADED and _can_quiet():
        _quiet_preloaded(_PRELOADED)
    overlay = _Overlay(request.get("overlay") or {})
    for path, text in overlay.sources.items():
        # Tracebacks and `inspect` show the candidate's lines, not the file's.
        lines = text.splitlines(True)
        linecache.cache[path] = (len(text), None, lines, path)
    sys.meta_path.insert(0, overlay)
    selection = _Selection(request.get("want"), request.get("first") or [], overlay)
    plugins: List[Any] = [selection]
    coverage = None
    if request.get("coverage"):
        coverage = _Coverage(os.getcwd())
        plugins.append(coverage)
    code = pytest.main(list(request.get("args") or []), plugins=plugins)
    meta = {"unmatched": selection.unmatched[:MAX_LISTED]}
    with open(request["meta"], "w", encoding="utf-8") as handle:
        json.dump(meta, handle)
    if coverage is not None:
        with open(request["coverage"], "w", encoding="utf-8") as handle:
            json.dump({"tests": coverage.tests}, handle)
    sys.stdout.flush()
    sys.stderr.flush()
    return int(code)


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


def _imported_files(paths: List[str]) -> List[str]:
    """Those of `paths` some module of this process was loaded from (an overlay can't apply)."""
    wanted = {os.path.realpath(path) for path in paths}
    stale = set()
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if filename and os.path.realpath(filename) in wanted:
            stale.add(os.path.realpath(filename))
    return sorted(stale)


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


def finished(running: _Running, status: int, timed_out: bool) -> Dict[str, Any]:
    _kill_group(running.pid)  # whatever the tests started does not outlive their run
    request = running.request
    meta = _read_meta(request["meta"])
    return {
        "junit": _take(request.get("junit"), REPORT_BYTES),
        "record": _take(request.get("record"), RECORD_BYTES),
        "coverage_data": _take(request.get("coverage"), REPORT_BYTES),
        "id": request.get("id"),
        "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "timed_out": timed_out,
        "seconds": round(time.monotonic() - running.started, 4),
        "tail": _tail(request["output"]),
        "unmatched": list(meta.get("unmatched") or [])[:MAX_LISTED],
        "stale": [],
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
            answers.append(finished(child, status, timed_out))
    return answers


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
    pending = b""
    ended = False
    while not ended:
        # Requests are read as they come; children are looked at every few milliseconds.
        readable = select.select([0], [], [], 0.003 if running else None)[0]
        replies: List[Dict[str, Any]] = []
        if readable:
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
                stale = _imported_files(list(request.get("overlay") or {}))
                if stale:
                    replies.append({"id": request.get("id"), "stale": stale})
                    continue
                _clear(request)
                child = start_run(request, protocol)
                running[child.pid] = child
        replies += reap(running)
        for reply in replies:
            answers.write(json.dumps(reply) + "\n")
        if replies:
            answers.flush()
    for pid in list(running):  # the host is gone or done: so are the runs
        _kill_group(pid)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
