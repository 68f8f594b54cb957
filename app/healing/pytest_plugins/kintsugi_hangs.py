"""Hanging tests as failures: each test gets a time limit and, past it, fails where it is stuck.

Loaded with `-p kintsugi_hangs --kintsugi-hangs=LIMITS.json` on the repository's own
interpreter (Python 3.6+) and pytest, so it uses only the standard library and pytest's hooks.
LIMITS.json holds {"default_seconds": float, "tests": {node id: seconds}, "record": path}.

In the main thread an interval timer raises `HungTest` in whatever frame is running when the
limit passes: the test fails with the stack of the loop it was stuck in, and the run goes on.
A C call that holds the interpreter (a regular expression backtracking, say) keeps the signal
handler from running; for that, faulthandler writes every thread's stack to the record file
a little later and ends the process, and the caller reads the record instead of a report.
"""

import faulthandler
import json
import os
import signal
import threading
import traceback
from typing import Any, Dict, Generator, List, Optional, TextIO

import pytest

GRACE_SECONDS = 3.0  # how long the handler may be kept from running before the process ends
HUNG_MARKER = "KINTSUGI-HUNG "

# Annotations stay in quotes or in `typing`'s spelling: pytest before 7 has no `pytest.Item`,
# and Python before 3.9 no `dict[str, float]`.
_limits: Dict[str, Any] = {"default_seconds": 0.0, "tests": {}, "record": ""}
_armed = [False]
_record: List[Optional[TextIO]] = [None]


class HungTest(BaseException):
    """Raised into a test that ran past its limit. Not an `Exception`: the code under test
    may catch those in the very loop that hangs."""


def pytest_addoption(parser: "pytest.Parser") -> None:
    parser.addoption(
        "--kintsugi-hangs",
        action="store",
        default=None,
        help="JSON file of per-test time limits; a test past its limit fails where it is.",
    )


def pytest_configure(config: "pytest.Config") -> None:
    path = config.getoption("kintsugi_hangs")
    if not path:
        return
    with open(path, encoding="utf-8") as handle:
        _limits.update(json.load(handle))
    if _limits.get("record"):
        # Opened once, before any test: faulthandler writes to it without needing the GIL.
        _record[0] = open(_limits["record"], "w", encoding="utf-8")  # noqa: SIM115


def _seconds_for(nodeid: str) -> float:
    seconds = _limits["tests"].get(nodeid)
    if seconds is None:
        seconds = _limits["default_seconds"]
    return float(seconds or 0.0)


def _on_alarm(signum: int, frame: Any) -> None:
    if _armed[0]:
        _armed[0] = False
        raise HungTest("the test ran past its time limit of %s s" % _limits["current"])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(
    item: "pytest.Item", nextitem: "Optional[pytest.Item]"
) -> Generator[None, Any, None]:
    seconds = _seconds_for(item.nodeid)
    usable = (
        seconds > 0
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return
    _limits["current"] = "%g" % seconds
    record = _record[0]
    if record is not None:
        record.seek(0)
        record.truncate()
        record.write(HUNG_MARKER + item.nodeid + " " + _limits["current"] + "\n")
        record.flush()
        faulthandler.dump_traceback_later(seconds + GRACE_SECONDS, exit=True, file=record)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    _armed[0] = True
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        _armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if record is not None:
            faulthandler.cancel_dump_traceback_later()
            record.seek(0)
            record.truncate()
            record.flush()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: "pytest.Item", call: "pytest.CallInfo[None]"
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is None or not call.excinfo.errisinstance(HungTest):
        return
    # The plain traceback from the test function to the hung frame, without pytest's frames
    # above the test or the signal handler's frame below the hung one.
    frames = list(traceback.extract_tb(call.excinfo.value.__traceback__))
    test_file = os.path.realpath(str(item.fspath))
    start = next((i for i, f in enumerate(frames) if os.path.realpath(f.filename) == test_file), 0)
    here = os.path.realpath(__file__)
    frames = [f for f in frames[start:] if os.path.realpath(f.filename) != here]
    where = "%s:%s" % (frames[-1].filename, frames[-1].lineno) if frames else "an unknown frame"
    report.longrepr = (
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_list(frames))
        + "HungTest: %s ran past its time limit of %s s; it was stopped at %s\n"
        % (item.nodeid, _limits["current"], where)
    )
