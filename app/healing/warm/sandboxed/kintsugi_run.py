"""What one run of the warm worker does in the process forked for it, wherever it was forked
from (the worker itself, or a slot's configured session): the candidate's sources served in
place of the files, the wanted tests kept and the failing ones first, per-test coverage, and
the note of what the run did not find.

Standard library and pytest only, from Python 3.6 on, like the worker that imports it.
"""

import importlib.machinery
import json
import linecache
import os
import sys
import threading
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import pytest

MAX_LISTED = 200


def junit_id(nodeid: str, location_file: str) -> str:
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


def item_id(item: Any) -> str:
    location = getattr(item, "location", None) or ("",)
    return junit_id(item.nodeid, str(location[0] or ""))


class OverlayLoader(importlib.machinery.SourceFileLoader):
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


class Overlay:
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
        spec.loader = OverlayLoader(name, spec.origin, source)
        return spec


class Selection:
    """Keeps the wanted tests, the first ones first, and notes the wanted ones not found."""

    def __init__(self, want: Optional[List[str]], first: List[str], overlay: Overlay) -> None:
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
            test_id = item_id(item)
            if self.want is None or test_id in self.want:
                kept.append(item)
                found.add(test_id)
            else:
                dropped.append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        if self.want is not None:
            self.unmatched = sorted(self.want - found)
        kept.sort(key=lambda item: 0 if item_id(item) in self.first else 1)
        items[:] = kept


class Coverage:
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
            self.tests[item_id(item)] = {k: sorted(v) for k, v in per_file.items()}


class Run(object):
    """The plugins and the overlay of one run, set up in its own process."""

    def __init__(self, request: Dict[str, Any]) -> None:
        self.request = request
        self.overlay = Overlay(request.get("overlay") or {})
        for path, text in self.overlay.sources.items():
            # Tracebacks and `inspect` show the candidate's lines, not the file's.
            lines = text.splitlines(True)
            linecache.cache[path] = (len(text), None, lines, path)
        sys.meta_path.insert(0, self.overlay)
        self.selection = Selection(request.get("want"), request.get("first") or [], self.overlay)
        self.coverage = Coverage(os.getcwd()) if request.get("coverage") else None

    @property
    def plugins(self) -> List[Any]:
        return [self.selection] + ([self.coverage] if self.coverage is not None else [])

    def finish(self) -> None:
        """Leave what the run found for the worker to read: the tests it did not find, and
        the coverage."""
        meta = {"unmatched": self.selection.unmatched[:MAX_LISTED]}
        with open(self.request["meta"], "w", encoding="utf-8") as handle:
            json.dump(meta, handle)
        if self.coverage is not None:
            with open(self.request["coverage"], "w", encoding="utf-8") as handle:
                json.dump({"tests": self.coverage.tests}, handle)
        sys.stdout.flush()
        sys.stderr.flush()


def imported_files(paths: List[str]) -> List[str]:
    """Those of `paths` some module of this process was loaded from (an overlay can't apply)."""
    wanted = {os.path.realpath(path) for path in paths}
    stale = set()
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if not filename or not isinstance(filename, str):
            continue
        real = _REAL_PATHS.get(filename)
        if real is None:
            real = _REAL_PATHS[filename] = os.path.realpath(filename)
        if real in wanted:
            stale.add(real)
    return sorted(stale)


# Module files by their real paths: asked at every run, of modules that do not move.
_REAL_PATHS: Dict[str, str] = {}
