"""Warm validation of one case: one sandboxed worker, a forked child per candidate, and the
cold run as the judge of every candidate the warm run passes.

The worker starts beside the case's baseline run (`prepare`), or else at its first candidate,
on a copy of the repository (the same one the cold runs get), with the variables and
read-only binds the cold runs have; the hang limits the baseline gives are written for it
before its first run. Its first run repeats the baseline with per-test coverage: when its
verdicts differ from the cold baseline's, warm validation does not apply to the case. Each
candidate's run then serves the changed modules from the candidate's source, runs the failing
tests first and stops at the first failure, then the passing tests that executed a changed
function (all of them when the change is outside every function). A candidate that passes is
validated cold before it is accepted; where warm cannot apply the case, or the candidate, is
validated cold, and `summary` (and each verdict's `validation`) says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

from app.environments.environment import Environment
from app.healing.candidates import Candidate
from app.healing.hang_guard import (
    HUNG_TYPE,
    RECORD_FILE,
    GuardedRun,
    HangGuard,
    HungInC,
    guarded_run,
    hang_from_record,
)
from app.healing.reproduce import Reproduction
from app.healing.runner import CommandResult, CommandRunner
from app.healing.suite import (
    SuiteReport,
    _with_plugins,
    junit_report,
    suite_argv,
)
from app.healing.warm.coverage import CoverageMap, UnreadableCoverage
from app.healing.warm.plan import (
    changed_functions,
    cold_reason,
    pytest_args,
    third_party_imports,
)
from app.healing.warm.worker import ProcessStarter, WarmWorker, WorkerGone
from app.workspace import RepositoryPathRefused, read_text, regular_files

if TYPE_CHECKING:
    from app.healing.validate import Verdict

log = logging.getLogger(__name__)

_COVERAGE_FILE = ".kintsugi-warm-coverage.json"
_START_SECONDS = 60.0
_PRELOAD_FILES = 2000  # Python files scanned for third-party imports
_PRELOAD_FILE_BYTES = 1024 * 1024
_SKIPPED_DIRS = frozenset(
    {".git", ".venv", "venv", "__pycache__", ".tox", ".nox", "node_modules", "build", "dist"}
)


class ColdValidation(Protocol):
    """What a warm session uses of the validator it speeds up: its settings, its work copy,
    and today's cold validation of one candidate."""

    runner: CommandRunner
    root: Path
    test_command: str
    run_timeout: float
    reproduction: Reproduction | None
    hangs: HangGuard

    def workspace(self, scratch: Path, changes: dict[str, str] | None = None) -> Path: ...

    async def validate_cold(
        self,
        candidate: Candidate,
        targets: frozenset[str],
        baseline: SuiteReport,
        seconds_left: float,
        *,
        full_run_only: bool = False,
    ) -> Verdict: ...


@dataclass(frozen=True)
class _Slot:
    """One of the runs the worker may have going at once: its own files and pytest arguments
    (its report, its output, its hang record and its temporary directory)."""

    index: int
    args: tuple[str, ...]
    files: Path  # the directory (in the work copy) of its report, output and hang record
    guard: GuardedRun  # its hang plugin, and the limits file it reads

    @property
    def junit(self) -> str:
        return f".kintsugi-warm-junit-{self.index}.xml"


class _Fallback(Exception):
    """Warm validation cannot apply to the case, for the reason given."""


class WarmValidation:
    """One case's warm validation; `validate` has the cold validator's contract."""

    def __init__(
        self,
        cold: ColdValidation,
        *,
        environment: Environment | None = None,
        lifetime_seconds: float = 3600.0,
        parallel: int = 2,
    ) -> None:
        self.cold = cold
        self.environment = environment
        self.lifetime_seconds = lifetime_seconds
        self.reason: str | None = None  # why the case went cold; None while warm applies
        self.warm_runs = 0
        self.session_runs = 0  # of the warm runs, those forked from a slot's pytest session
        self.cold_candidates: dict[str, int] = {}  # per-candidate reasons to go cold
        self.parallel = max(1, parallel)
        self._opening = asyncio.Lock()
        self._free: asyncio.Queue[_Slot] = asyncio.Queue()
        self._worker: WarmWorker | None = None
        self._launching: asyncio.Future[None] | None = None
        self._slots: list[_Slot] = []
        self._opened = False
        self._stack = contextlib.ExitStack()
        self._workdir: Path | None = None
        self._coverage: CoverageMap | None = None

    @property
    def summary(self) -> str:
        """`warm`, or `cold (why)`, and how many candidates went cold and why."""
        if self.reason is not None and not self.warm_runs:
            return f"cold ({self.reason})"
        mode = "warm" if self.reason is None else f"warm, then cold ({self.reason})"
        if self.cold_candidates:
            listed = "; ".join(f"{n} x {why}" for why, n in sorted(self.cold_candidates.items()))
            mode += f" ({listed} validated cold)"
        return mode

    async def validate(
        self,
        candidate: Candidate,
        targets: frozenset[str],
        baseline: SuiteReport,
        seconds_left: float,
    ) -> Verdict:
        started = time.monotonic()
        why = self.reason
        if why is None:
            found = await self._warm_or_reason(candidate, targets, baseline, seconds_left)
            if not isinstance(found, str):
                return await self._confirmed(found, targets, baseline, seconds_left, started)
            why = found
        left = seconds_left - (time.monotonic() - started)
        verdict = await self.cold.validate_cold(candidate, targets, baseline, max(1.0, left))
        return dataclasses.replace(verdict, validation=f"cold ({why})")

    async def _warm_or_reason(
        self,
        candidate: Candidate,
        targets: frozenset[str],
        baseline: SuiteReport,
        seconds_left: float,
    ) -> Verdict | str:
        """The warm verdict on `candidate`, or why it must be validated cold."""
        try:
            async with self._opening:
                if not self._opened:
                    self._opened = True
                    await self._opened_or_fallback(baseline)
            if self.reason is not None:
                return self.reason
            assert self._workdir is not None
            original = {path: _original(self._workdir, path) for path in candidate.changes}
            why = cold_reason(candidate.changes, original)
            if why is None:
                slot = await self._free.get()
                try:
                    found = await self._run(
                        slot, candidate, original, targets, baseline, seconds_left
                    )
                except OSError as error:
                    found = f"the warm run's files could not be read ({error})"
                finally:
                    self._free.put_nowait(slot)
                if not isinstance(found, str):
                    self.warm_runs += 1
                    return found
                why = found
            self.cold_candidates[why] = self.cold_candidates.get(why, 0) + 1
            return why
        except _Fallback as fallback:
            return self._fall_back(str(fallback))
        except WorkerGone as gone:
            return self._fall_back(f"the validation worker {gone}")

    def _fall_back(self, reason: str) -> str:
        if self.reason is None:
            self.reason = reason
            log.info("warm validation falls back to cold runs", extra={"reason": reason})
        return reason

    async def _confirmed(
        self,
        verdict: Verdict,
        targets: frozenset[str],
        baseline: SuiteReport,
        seconds_left: float,
        started: float,
    ) -> Verdict:
        """A warm rejection stands; a warm pass is accepted only when the cold runs pass it."""
        if not verdict.accepted:
            return verdict
        left = max(1.0, seconds_left - (time.monotonic() - started))
        cold = await self.cold.validate_cold(
            verdict.candidate, targets, baseline, left, full_run_only=True
        )
        if cold.accepted:
            return dataclasses.replace(
                cold, seconds=time.monotonic() - started, validation="warm, confirmed cold"
            )
        # The warm run passed what the cold one does not: warm is not to be trusted here.
        why = self._fall_back(
            f"the warm run passed a candidate the cold run rejected: {cold.reason}"
        )
        return dataclasses.replace(cold, validation=f"cold ({why})")

    async def _opened_or_fallback(self, baseline: SuiteReport) -> None:
        try:
            await self._open(baseline)
        except (_Fallback, WorkerGone):
            raise
        except Exception as error:  # a copy, a bind or a start that failed: cold, and why
            log.warning("the validation worker did not start", exc_info=True)
            raise _Fallback(f"the validation worker did not start ({error})") from error

    def prepare(self) -> None:
        """Start the worker now, beside the baseline run, instead of at the first candidate:
        the interpreter's start and the imports of pytest and its plugins then cost the case
        no time of their own. What goes wrong is told at the first candidate."""
        if self._launching is None and self.reason is None and self._unsupported() is None:
            self._launching = asyncio.ensure_future(self._launch())

    def _unsupported(self) -> str | None:
        if pytest_args(self.cold.test_command) is None:
            return "the test command does not run pytest"
        if not isinstance(self.cold.runner, ProcessStarter):
            return "the runner cannot keep a worker process"
        return None

    async def _open(self, baseline: SuiteReport) -> None:
        """Check the started worker against the cold baseline, or say why not."""
        unsupported = self._unsupported()
        if unsupported is not None:
            raise _Fallback(unsupported)
        if not baseline.readable:
            raise _Fallback("the baseline run has no report")
        self.prepare()
        assert self._launching is not None
        await self._launching
        limits = self.cold.hangs.limits(baseline)
        for slot in self._slots:
            slot.guard.write_limits(self.cold.hangs, limits)
        await self._baseline_with_coverage(baseline)

    async def _launch(self) -> None:
        """Start the worker on its copy of the repository, or say why it cannot serve."""
        scratch = Path(
            self._stack.enter_context(tempfile.TemporaryDirectory(prefix="kintsugi-warm-"))
        )
        workdir = self.cold.workspace(scratch)
        self._workdir = workdir
        python = self.environment.python if self.environment else None
        readonly = [*(self.environment.readonly_paths() if self.environment else ())]
        for index in range(self.parallel):
            files = workdir / f".kintsugi-warm-{index}"
            files.mkdir()
            # Each slot its own hang limits file, so each has its own record of a stuck test;
            # the limits are written once the baseline has given them.
            guarded = self._stack.enter_context(guarded_run(self.cold.hangs, files, {}))
            readonly += guarded.readonly
            slot_args = (*guarded.args, f"--basetemp=/tmp/kintsugi-warm-{index}")
            junit = f".kintsugi-warm-junit-{index}.xml"
            argv = suite_argv(self.cold.test_command, junit, plugin_args=slot_args, python=python)
            # The pytest arguments after `-m pytest`.
            self._slots.append(_Slot(index, tuple(argv[3:]), files, guarded))
            self._free.put_nowait(self._slots[-1])
        variables = self.environment.variables(workdir) if self.environment else None

        async def start(preload: list[str]) -> dict[str, Any]:
            if self._worker is not None:
                await self._worker.close()
            self._worker = await WarmWorker.start(
                self.cold.runner,  # type: ignore[arg-type]  # checked to be a ProcessStarter
                workdir,
                python=python or Path(sys.executable),
                env=_with_plugins(variables, guarded.env),
                readonly=list(dict.fromkeys(readonly)),
                lifetime_seconds=self.lifetime_seconds,
            )
            return await self._worker.request({"op": "start", "preload": preload}, _START_SECONDS)

        hello = await start(_preload_names(workdir, self.environment))
        if int(hello.get("threads") or 1) > 1:
            hello = await start([])  # a preloaded import started a thread: fork without them
        if not hello.get("fork"):
            raise _Fallback("fork is unavailable on the repository's interpreter")
        if int(hello.get("threads") or 1) > 1:
            raise _Fallback("the worker runs threads, which a fork would not carry")

    async def _baseline_with_coverage(self, baseline: SuiteReport) -> None:
        assert self._workdir is not None
        slot = await self._free.get()
        try:
            answer, report = await self._request(
                slot,
                {"want": None, "first": [], "overlay": {}, "coverage": _COVERAGE_FILE},
                [*slot.args],
                self.cold.run_timeout,
            )
        finally:
            self._free.put_nowait(slot)
        if report is None or not report.readable:
            raise _Fallback(f"the warm baseline run has no report ({_said(answer)})")
        differs = (report.passed ^ baseline.passed) | (report.failed ^ baseline.failed)
        if differs:
            shown = ", ".join(sorted(differs)[:3])
            raise _Fallback(
                f"the warm baseline differs from the cold one on {len(differs)} test(s): {shown}"
            )
        data = answer.get("coverage_data")
        try:
            if not isinstance(data, str):
                raise UnreadableCoverage("the baseline run sent no coverage")
            self._coverage = CoverageMap.from_json(data.encode("utf-8"))
        except UnreadableCoverage as error:
            # Without coverage every candidate runs the whole suite: still warm, just slower.
            log.info("warm validation has no baseline coverage", extra={"error": str(error)})

    async def _run(
        self,
        slot: _Slot,
        candidate: Candidate,
        original: dict[str, str | None],
        targets: frozenset[str],
        baseline: SuiteReport,
        seconds_left: float,
    ) -> Verdict | str:
        """The warm verdict on one candidate, or why it must be validated cold."""
        from app.healing.validate import Verdict

        assert self._workdir is not None
        started = time.monotonic()
        wanted = set(targets) | self._affected(candidate, original, baseline)
        files = sorted({test.partition("::")[0] for test in wanted})
        # An id that names no file: the command collects as it does, the selection keeps.
        positional = files if all((self._workdir / f).is_file() for f in files) else []
        overlay = {str(self._workdir / path): text for path, text in candidate.changes.items()}
        timeout = max(1.0, min(seconds_left, self.cold.run_timeout))
        try:
            answer, report = await self._request(
                slot,
                {
                    "want": sorted(wanted),
                    "first": sorted(targets),
                    "overlay": overlay,
                    # The slot's pytest configured once, the run forked inside its collection.
                    "session": {"key": slot.index, "args": [*slot.args, "-x"], "paths": positional},
                },
                [*slot.args, "-x", *positional],
                timeout,
            )
        except ValueError as error:  # a request past its size bound
            return f"the candidate is too large for the worker ({error})"
        if answer.get("stale"):
            return "a changed module is loaded in the worker already"
        if answer.get("via") == "session":
            self.session_runs += 1
        if answer.get("unmatched"):
            missing = list(answer["unmatched"])
            raise _Fallback(f"the warm run did not find {len(missing)} test(s): {missing[0]}")
        seconds = time.monotonic() - started
        if report is None:
            if answer.get("timed_out"):
                return Verdict(
                    candidate, False, "target run unreadable (timeout)", None, None, seconds, "warm"
                )
            return f"the warm run left no report ({_said(answer)})"
        still = targets - report.passed
        if still:
            hung = [t for t in sorted(still) if _hung(report, t)]
            detail = f"; {hung[0]} ran past its time limit" if hung else ""
            reason = f"target tests still fail ({len(still)}/{len(targets)}){detail}"
            return Verdict(candidate, False, reason, report, None, seconds, "warm")
        regressed = (frozenset(wanted) & baseline.passed) - report.passed
        if regressed:
            shown = ", ".join(sorted(regressed & report.failed or regressed)[:3])
            reason = f"{len(regressed)} test(s) regressed: {shown}"
            return Verdict(candidate, False, reason, report, report, seconds, "warm")
        return Verdict(candidate, True, "warm run passes", report, report, seconds, "warm")

    def _affected(
        self, candidate: Candidate, original: dict[str, str | None], baseline: SuiteReport
    ) -> set[str]:
        """The baseline's passing tests that may see the change: those that ran a changed
        function, or all of them."""
        affected: set[str] = set()
        for path, text in candidate.changes.items():
            spans = changed_functions(original.get(path), text)
            if spans is None or self._coverage is None:
                return set(baseline.passed)
            affected |= self._coverage.covering(path, spans, baseline.passed)
        return affected

    async def _request(
        self, slot: _Slot, run: dict[str, Any], args: list[str], seconds: float
    ) -> tuple[dict[str, Any], SuiteReport | None]:
        """One run in a child of the worker, and the report it left (None: none)."""
        assert self._worker is not None and self._workdir is not None
        workdir = self._workdir
        request = {
            "op": "run",
            "args": args,
            "output": str(slot.files / "output.txt"),
            "meta": str(slot.files / "meta.json"),
            "junit": str(workdir / slot.junit),
            "record": str(slot.files / RECORD_FILE),
            "coverage": str(workdir / run["coverage"]) if run.get("coverage") else None,
            "timeout": seconds,
            **{key: value for key, value in run.items() if key != "coverage"},
        }
        answer = await self._worker.request(request, seconds + 10.0)
        result = CommandResult(
            exit_code=-1 if answer.get("exit") is None else int(answer["exit"]),
            stdout=str(answer.get("tail") or ""),
            stderr="",
            wall_seconds=float(answer.get("seconds") or 0.0),
            outcome="timeout" if answer.get("timed_out") else "ok",
        )
        # The sandbox's work copy is its own: the report comes back in the answer.
        report: SuiteReport | None = None
        junit_text = answer.get("junit")
        if isinstance(junit_text, str):
            report = junit_report(junit_text.encode("utf-8"), result)
        else:
            record = answer.get("record")
            hung = hang_from_record(record) if isinstance(record, str) else None
            report = _hung_report(hung, result) if hung is not None else None
        return answer, report if report is None or report.readable else None

    async def close(self) -> None:
        """End the worker and remove its copy of the repository."""
        if self._launching is not None:
            # A start still under way is let finish (ending it half-way could leave its
            # process behind); whatever it raised was told at the first candidate, or is moot.
            await asyncio.gather(self._launching, return_exceptions=True)
        if self._worker is not None:
            await self._worker.close()
            self._worker = None
        self._stack.close()


def _hung_report(hung: HungInC, result: CommandResult) -> SuiteReport:
    """A run the hang plugin ended (a test stuck where its signal could not reach) has only
    the stuck test's stack: that test failed, and none is known to have passed."""
    return SuiteReport(
        passed=frozenset(),
        failed=frozenset({hung.node_id}),
        failures=(),
        chains={hung.node_id: (hung.exception,)},
        wall_seconds=result.wall_seconds,
        outcome="hung",
    )


def _hung(report: SuiteReport, test: str) -> bool:
    chain = report.chains.get(test, ())
    return bool(chain) and chain[-1].short_type == HUNG_TYPE


def _said(answer: dict[str, Any]) -> str:
    code = answer.get("exit")
    died = answer.get("signal")
    tail = str(answer.get("tail") or "").strip().splitlines()[-1:] or ["no output"]
    how = f"signal {died}" if died else f"exit code {code}"
    return f"{how}: {tail[0][:300]}"


def _original(workdir: Path, path: str) -> str | None:
    try:
        return read_text(workdir, path)
    except (OSError, UnicodeDecodeError, RepositoryPathRefused):
        return None


def _preload_names(workdir: Path, environment: Environment | None) -> list[str]:
    """The third-party modules the repository imports at top level (not its own)."""
    roots = [
        "",
        *(root for root in (environment.source_roots if environment else ()) if root != "."),
    ]
    roots += [root for root in ("src", "lib") if (workdir / root).is_dir()]
    local: set[str] = {"conftest", "tests", "test"}
    for root in roots:
        with contextlib.suppress(OSError):
            for entry in (workdir / root if root else workdir).iterdir():
                local.add(entry.name.removesuffix(".py"))
    sources: list[str] = []
    kept = lambda name: name not in _SKIPPED_DIRS and not name.startswith(".")  # noqa: E731
    for path in regular_files(workdir, keep_directory=kept):
        if len(sources) >= _PRELOAD_FILES:
            break
        if PurePosixPath(path).suffix != ".py":
            continue
        with contextlib.suppress(OSError, UnicodeDecodeError, RepositoryPathRefused):
            sources.append(read_text(workdir, path, max_bytes=_PRELOAD_FILE_BYTES))
    return third_party_imports(sources, frozenset(local))
