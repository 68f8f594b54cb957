"""Warm validation against the cold runs it replaces: the same verdicts on a corpus of mutants,
a cold fallback named for every reason warm cannot apply, hangs bounded per test."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from app.environments.environment import Environment
from app.environments.recipe import PythonChoice, Recipe, Source
from app.environments.repository_tests import RepositoryTests
from app.healing.candidates import Candidate
from app.healing.hang_guard import HangGuard
from app.healing.reproduce import Reproduction
from app.healing.runner import CommandResult, SandboxCommandRunner
from app.healing.search import mutants
from app.healing.suite import SuiteReport
from app.healing.validate import Validator, Verdict
from functions.sandbox import Sandbox
from functions.sandbox_command import interpreter_roots
from tests.healing.conftest import write_repo

pytestmark = pytest.mark.sandbox

CORPUS = Path(__file__).resolve().parents[3] / "bench" / "corpus" / "logic"
CORPUS_CASES = ("stats", "ledger", "laps")
MUTANTS_PER_CASE = 8


@pytest.fixture(scope="module")
def runner() -> SandboxCommandRunner:
    # No degraded fallback: without bubblewrap these tests fail, they do not pass weaker.
    return SandboxCommandRunner(Sandbox(allow_degraded=False))


def candidate(changes: dict[str, str], description: str = "edit") -> Candidate:
    return Candidate("test", "edit", description, changes)


async def opened(
    runner: object,
    root: Path,
    command: str = "python -m pytest -q",
    environment: Environment | None = None,
    **options: object,
) -> tuple[Validator, SuiteReport, frozenset[str]]:
    tests = RepositoryTests(command, environment)
    validator = Validator(runner, root, tests, run_timeout=60, **options)  # type: ignore[arg-type]
    baseline = await validator.baseline()
    return validator, baseline, baseline.failed


async def both_ways(
    validator: Validator,
    baseline: SuiteReport,
    targets: frozenset[str],
    candidates: list[Candidate],
) -> tuple[list[Verdict], list[Verdict]]:
    """Each candidate validated warm (one at a time, as a case does), then cold."""
    warm = [await validator.validate(c, targets, baseline, 60) for c in candidates]
    cold: list[Verdict] = []
    for start in range(0, len(candidates), 2):
        cold += await asyncio.gather(
            *(
                validator.validate_cold(c, targets, baseline, 60)
                for c in candidates[start : start + 2]
            )
        )
    return warm, cold


@pytest.mark.slow
@pytest.mark.parametrize("name", CORPUS_CASES)
async def test_a_corpus_of_mutants_gets_the_same_verdicts_warm_and_cold(
    name: str, runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    case = CORPUS / name
    spec = json.loads((case / "case.json").read_text())
    root = tmp_path / name
    shutil.copytree(case, root)
    bug = spec["bug"]
    source = (root / bug["path"]).read_text()
    found = [m for _, m in zip(range(MUTANTS_PER_CASE), mutants(source, bug["line"]), strict=False)]
    candidates = [candidate({bug["path"]: m.source}, m.description) for m in found]
    validator, baseline, targets = await opened(runner, root)
    try:
        warm, cold = await both_ways(validator, baseline, targets, candidates)
    finally:
        await validator.close()

    assert [v.accepted for v in warm] == [v.accepted for v in cold]
    assert any(v.accepted for v in cold) and not all(v.accepted for v in cold)
    assert validator.validation == "warm"
    assert {v.validation for v in warm if not v.accepted} == {"warm"}
    assert {v.validation for v in warm if v.accepted} == {"warm, confirmed cold"}
    # What an accepted verdict carries is the cold full run's report.
    for verdict in warm:
        if verdict.accepted:
            assert verdict.suite is not None and verdict.suite.passed >= baseline.passed


def shapes_repo(root: Path, **extra: str) -> Path:
    """`area` is wrong (its test fails); `perimeter` and `shout` are right and tested."""
    return write_repo(
        root,
        {
            "shapes/__init__.py": "",
            "shapes/geometry.py": """
                SIDES = 4


                def area(width, height):
                    return width + height


                def perimeter(width, height):
                    return 2 * (width + height)
            """,
            "shapes/text.py": """
                def shout(text):
                    return text.upper() + "!"
            """,
            "tests/test_geometry.py": """
                from shapes.geometry import area, perimeter


                def test_area():
                    assert area(2, 3) == 6


                def test_perimeter():
                    assert perimeter(2, 3) == 10
            """,
            "tests/test_text.py": """
                from shapes.text import shout


                def test_shout():
                    assert shout("hi") == "HI!"
            """,
            **extra,
        },
    )


GEOMETRY_FIXED = "shapes/geometry.py"


def geometry(area: str = "width * height", perimeter: str = "2 * (width + height)") -> str:
    return (
        "SIDES = 4\n\n\ndef area(width, height):\n"
        f"    return {area}\n\n\ndef perimeter(width, height):\n    return {perimeter}\n"
    )


async def test_a_change_runs_the_failing_tests_and_only_the_tests_that_reach_it(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    validator, baseline, targets = await opened(runner, shapes_repo(tmp_path / "repo"))
    try:
        assert targets == {"tests/test_geometry.py::test_area"}
        breaks_perimeter = candidate({GEOMETRY_FIXED: geometry(perimeter="width + height")})
        verdict = await validator.validate(breaks_perimeter, targets, baseline, 60)
        assert not verdict.accepted and verdict.validation == "warm"
        assert verdict.reason == "1 test(s) regressed: tests/test_geometry.py::test_perimeter"
        assert verdict.suite is not None
        # test_shout never ran shapes/geometry.py: it is not run for a change there.
        assert verdict.suite.passed | verdict.suite.failed == {
            "tests/test_geometry.py::test_area",
            "tests/test_geometry.py::test_perimeter",
        }

        breaks_shout = candidate(
            {
                GEOMETRY_FIXED: geometry(),
                "shapes/text.py": "def shout(text):\n    return text.upper()\n",
            }
        )
        verdict = await validator.validate(breaks_shout, targets, baseline, 60)
        assert verdict.reason == "1 test(s) regressed: tests/test_text.py::test_shout"

        # A module-level change may reach any test: all of them run.
        module_level = (
            geometry().replace("SIDES = 4", "SIDES = 5").replace("width * height", "width - height")
        )
        verdict = await validator.validate(
            candidate({GEOMETRY_FIXED: module_level}), targets, baseline, 60
        )
        assert verdict.targets is not None and len(verdict.targets.failed) == 1
        assert verdict.reason.startswith("target tests still fail (1/1)")

        fixed = await validator.validate(
            candidate({GEOMETRY_FIXED: geometry()}), targets, baseline, 60
        )
        assert fixed.accepted and fixed.validation == "warm, confirmed cold"
        assert fixed.suite is not None and fixed.suite.total == 3  # the cold full run
        assert validator.validation == "warm"
    finally:
        await validator.close()


async def test_runs_fork_from_the_slots_configured_session(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    validator, baseline, targets = await opened(runner, shapes_repo(tmp_path / "repo"))
    try:
        wrong = [geometry("0"), geometry("width - height"), geometry("height")]
        verdicts = [
            await validator.validate(candidate({GEOMETRY_FIXED: text}), targets, baseline, 60)
            for text in wrong
        ]
        fixed = await validator.validate(
            candidate({GEOMETRY_FIXED: geometry()}), targets, baseline, 60
        )
    finally:
        await validator.close()
    assert [v.validation for v in verdicts] == ["warm"] * 3
    assert all(v.reason.startswith("target tests still fail (1/1)") for v in verdicts)
    assert fixed.accepted and fixed.validation == "warm, confirmed cold"
    assert validator.warm is not None
    # Every candidate ran in a child of a slot's session (the baseline in one of the worker).
    assert validator.warm.warm_runs == 4 and validator.warm.session_runs == 4


async def test_a_module_the_conftest_imports_is_validated_in_a_child_of_the_worker(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    # The session loaded tests/conftest.py, and with it shapes.geometry: a candidate there
    # cannot be served in its place, so it runs as a fresh pytest in a child of the worker.
    conftest = "from shapes.geometry import SIDES\n\n\ndef pytest_report_header():\n"
    conftest += "    return 'sides: %d' % SIDES\n"
    root = shapes_repo(tmp_path / "repo", **{"tests/conftest.py": conftest})
    validator, baseline, targets = await opened(runner, root)
    try:
        text = "def shout(text):\n    return text.lower() + '!'\n"
        elsewhere = await validator.validate(
            candidate({"shapes/geometry.py": geometry(), "shapes/text.py": text}),
            targets,
            baseline,
            60,
        )
        wrong = await validator.validate(
            candidate({GEOMETRY_FIXED: geometry("0")}), targets, baseline, 60
        )
        fixed = await validator.validate(
            candidate({GEOMETRY_FIXED: geometry()}), targets, baseline, 60
        )
    finally:
        await validator.close()
    assert elsewhere.validation == "warm" and not elsewhere.accepted
    assert elsewhere.reason == "1 test(s) regressed: tests/test_text.py::test_shout"
    assert wrong.validation == "warm" and not wrong.accepted
    assert fixed.accepted and fixed.validation == "warm, confirmed cold"
    assert validator.warm is not None
    assert validator.warm.warm_runs == 3 and validator.warm.session_runs == 0


async def test_a_lost_session_costs_its_candidate_a_cold_run_and_no_more(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    kills_the_session = geometry().replace(
        "def area(width, height):\n",
        "def area(width, height):\n"
        "    import os, signal\n"
        "    if 'kintsugi_warm' in open(f'/proc/{os.getppid()}/cmdline').read():\n"
        "        os.kill(os.getppid(), signal.SIGKILL)\n",
    )
    validator, baseline, targets = await opened(runner, shapes_repo(tmp_path / "repo"))
    try:
        first = await validator.validate(
            candidate({GEOMETRY_FIXED: geometry("0")}), targets, baseline, 60
        )
        lost = await validator.validate(
            candidate({GEOMETRY_FIXED: kills_the_session}), targets, baseline, 60
        )
        # The two slots take turns: `after` runs on the other slot's session, `again` on
        # the lost one's slot, which now forks its runs from the worker.
        after, again = [
            await validator.validate(candidate({GEOMETRY_FIXED: text}), targets, baseline, 60)
            for text in (geometry("1"), geometry("2"))
        ]
    finally:
        await validator.close()
    assert first.validation == "warm"
    assert lost.validation.startswith("cold (the warm run left no report")
    assert lost.accepted  # cold, the candidate is a fix
    # The worker lives on: the next candidates are warm.
    assert [after.validation, again.validation] == ["warm", "warm"]
    assert not after.accepted and not again.accepted
    assert validator.warm is not None
    assert validator.warm.warm_runs == 3 and validator.warm.session_runs == 3


async def test_a_candidate_that_loops_for_ever_costs_about_the_per_test_limit(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    validator, baseline, targets = await opened(
        runner, shapes_repo(tmp_path / "repo"), hangs=HangGuard(default_seconds=30)
    )
    try:
        # The worker and its baseline start with the first candidate: not part of this cost.
        await validator.validate(candidate({GEOMETRY_FIXED: geometry("0")}), targets, baseline, 60)
        loops = geometry("width * height").replace(
            "def area(width, height):\n",
            "def area(width, height):\n    while width:\n        pass\n",
        )
        started = time.monotonic()
        verdict = await validator.validate(
            candidate({GEOMETRY_FIXED: loops}), targets, baseline, 60
        )
        elapsed = time.monotonic() - started
    finally:
        await validator.close()

    assert not verdict.accepted and verdict.validation == "warm"
    assert "ran past its time limit" in verdict.reason
    limit = HangGuard().limits(baseline)["tests/test_geometry.py::test_area"]
    assert limit == 1.0  # the floor: the test took milliseconds in the baseline
    assert limit <= elapsed < limit + 4.0, elapsed


async def test_a_worker_started_beside_the_baseline_takes_the_limits_the_baseline_gives(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    tests = RepositoryTests.without_environment("python -m pytest -q")
    validator = Validator(
        runner, shapes_repo(tmp_path / "repo"), tests, hangs=HangGuard(default_seconds=30)
    )
    validator.prepare()  # as a case does: the worker starts while the baseline runs
    try:
        baseline = await validator.baseline()
        loops = geometry("width * height").replace(
            "def area(width, height):\n",
            "def area(width, height):\n    while width:\n        pass\n",
        )
        started = time.monotonic()
        verdict = await validator.validate(
            candidate({GEOMETRY_FIXED: loops}), baseline.failed, baseline, 60
        )
        elapsed = time.monotonic() - started
    finally:
        await validator.close()

    # The first candidate: the worker is up, and its limits are the baseline's (1 s for
    # test_area), written after it started, not the 30 s default it started with.
    assert not verdict.accepted and verdict.validation == "warm"
    assert "ran past its time limit" in verdict.reason
    assert elapsed < 1.0 + 4.0, elapsed


async def test_a_reproduction_dropped_after_the_baseline_leaves_no_trace_in_the_worker(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    reproduction = Reproduction(
        "tests/test_kintsugi_repro.py",
        "def test_repro():\n    raise KeyError('width')\n",
        "tests/test_kintsugi_repro.py::test_repro",
        "area(2, 3)",
    )
    tests = RepositoryTests.without_environment("python -m pytest -q")
    validator = Validator(runner, shapes_repo(tmp_path / "repo"), tests, reproduction=reproduction)
    validator.prepare()
    try:
        with_it = await validator.baseline()
        assert reproduction.node_id in with_it.failed
        await validator.without_reproduction()  # as a case does when it did not reproduce
        baseline = await validator.baseline()
        verdict = await validator.validate(
            candidate({GEOMETRY_FIXED: geometry()}), baseline.failed, baseline, 60
        )
    finally:
        await validator.close()

    # The worker that started with the reproduction in its copy was replaced: the warm
    # baseline matches the cold one, so warm validation applies.
    assert reproduction.node_id not in baseline.failed | baseline.passed
    assert verdict.accepted and verdict.validation == "warm, confirmed cold"
    assert validator.validation == "warm"


async def test_the_warm_worker_runs_on_the_repository_environment(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    root = shapes_repo(tmp_path / "repo")
    validator, baseline, targets = await opened(runner, root, environment=project_environment(root))
    try:
        verdict = await validator.validate(
            candidate({GEOMETRY_FIXED: geometry()}), targets, baseline, 60
        )
    finally:
        await validator.close()
    assert verdict.accepted and verdict.validation == "warm, confirmed cold"


def project_environment(root: Path) -> Environment:
    """This interpreter's own virtual environment, as a built repository environment."""
    python = PythonChoice(
        f"{sys.version_info[0]}.{sys.version_info[1]}", Path(sys.executable), Source("test")
    )
    recipe = Recipe(python, (), "python -m pytest -q", Source("test"))
    return Environment(
        key="test",
        root=Path(sys.prefix),
        recipe=recipe,
        source_roots=(".",),
        interpreter_roots=tuple(
            p for p in interpreter_roots(sys.executable) if p != Path(sys.prefix)
        ),
        built=False,
        build_seconds=0.0,
        ready_seconds=0.0,
    )


async def cold_fallback(
    runner: object,
    root: Path,
    change: Candidate,
    command: str = "python -m pytest -q",
    **options: object,
) -> tuple[Verdict, Verdict, Validator]:
    """The verdict on `change` through `validate` and through today's cold validation."""
    validator, baseline, targets = await opened(runner, root, command, **options)
    try:
        verdict = await validator.validate(change, targets, baseline, 60)
        cold = await validator.validate_cold(change, targets, baseline, 60)
    finally:
        await validator.close()
    return verdict, cold, validator


@pytest.mark.parametrize(
    ("path", "text", "reason"),
    [
        ("tests/conftest.py", "import pytest\n", "conftest.py changes (tests/conftest.py)"),
        ("shapes/_fast.pyx", "def area(w, h):\n    return w * h\n", "a compiled module changes"),
        (
            GEOMETRY_FIXED,
            "import os\nos.environ['SHAPES'] = '1'\n\n\n" + geometry(),
            "a module with import-time side effects changes",
        ),
    ],
)
async def test_a_change_warm_cannot_apply_to_is_validated_cold_and_says_why(
    runner: SandboxCommandRunner, tmp_path: Path, path: str, text: str, reason: str
) -> None:
    change = candidate(
        {path: text, **({} if path == GEOMETRY_FIXED else {GEOMETRY_FIXED: geometry()})}
    )
    verdict, cold, validator = await cold_fallback(runner, shapes_repo(tmp_path / "repo"), change)
    assert verdict.validation.startswith(f"cold ({reason}")
    assert verdict.accepted == cold.accepted
    assert validator.validation.startswith("warm (1 x " + reason)


async def test_a_test_command_that_is_not_pytest_is_validated_cold(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    root = shapes_repo(tmp_path / "repo")
    change = candidate({GEOMETRY_FIXED: geometry()})
    verdict, cold, validator = await cold_fallback(runner, root, change, "python -m unittest -q")
    assert verdict.validation == "cold (the test command does not run pytest)"
    assert validator.validation == "cold (the test command does not run pytest)"
    assert verdict.accepted == cold.accepted


class RunOnly:
    """A runner that can run commands but not keep a process running."""

    def __init__(self, inner: SandboxCommandRunner) -> None:
        self.inner = inner

    async def run(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        timeout_seconds: float,
        readonly: Sequence[Path] = (),
        env: Mapping[str, str] | None = None,
    ) -> CommandResult:
        return await self.inner.run(
            argv, workdir=workdir, timeout_seconds=timeout_seconds, readonly=readonly, env=env
        )


async def test_a_runner_that_cannot_keep_a_worker_validates_cold(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    change = candidate({GEOMETRY_FIXED: geometry()})
    verdict, cold, _validator = await cold_fallback(
        RunOnly(runner), shapes_repo(tmp_path / "repo"), change
    )
    assert verdict.accepted and cold.accepted
    assert verdict.validation == "cold (the runner cannot keep a worker process)"


async def test_an_interpreter_without_fork_validates_cold(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    # The repository's environment puts its root first on the path, so its sitecustomize runs
    # at every start of its interpreter: here it takes fork away.
    root = shapes_repo(tmp_path / "repo", **{"sitecustomize.py": "import os\n\ndel os.fork\n"})
    change = candidate({GEOMETRY_FIXED: geometry()})
    verdict, cold, _validator = await cold_fallback(
        runner, root, change, environment=project_environment(root)
    )
    assert verdict.accepted and cold.accepted
    assert verdict.validation == "cold (fork is unavailable on the repository's interpreter)"


async def test_a_worker_that_dies_sends_the_case_to_cold_runs(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    kills_the_worker = geometry().replace(
        "def area(width, height):\n",
        "def area(width, height):\n"
        "    import os, signal\n"
        "    pid = os.getppid()\n"
        "    while pid > 1 and 'kintsugi_warm' in open(f'/proc/{pid}/cmdline').read():\n"
        "        up = int(open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1])\n"
        "        os.kill(pid, signal.SIGKILL)\n"
        "        pid = up\n",
    )
    validator, baseline, targets = await opened(runner, shapes_repo(tmp_path / "repo"))
    try:
        first = await validator.validate(
            candidate({GEOMETRY_FIXED: geometry("0")}), targets, baseline, 60
        )
        dead = await validator.validate(
            candidate({GEOMETRY_FIXED: kills_the_worker}), targets, baseline, 60
        )
        after = await validator.validate(
            candidate({GEOMETRY_FIXED: geometry()}), targets, baseline, 60
        )
    finally:
        await validator.close()
    assert first.validation == "warm" and not first.accepted
    assert dead.validation.startswith("cold (the validation worker died")
    assert dead.accepted  # cold, the candidate is a fix: the worker's death cost it nothing
    assert after.accepted and after.validation.startswith("cold (the validation worker died")
    assert validator.validation.startswith("warm, then cold (the validation worker died")


async def test_a_suite_that_behaves_otherwise_in_the_worker_is_validated_cold(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    root = shapes_repo(
        tmp_path / "repo",
        **{
            "tests/test_started.py": """
                import sys


                def test_started_by_pytest():
                    assert not sys.argv[0].endswith("kintsugi_warm.py")
            """
        },
    )
    change = candidate({GEOMETRY_FIXED: geometry()})
    verdict, cold, _validator = await cold_fallback(runner, root, change)
    assert verdict.accepted and cold.accepted
    assert verdict.validation == (
        "cold (the warm baseline differs from the cold one on 1 test(s): "
        "tests/test_started.py::test_started_by_pytest)"
    )


async def test_a_warm_pass_the_cold_run_rejects_is_not_accepted(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    # A test that reads the module's file, not what it imports: the warm run serves the
    # candidate to imports only, and does not run this test (it executes no function).
    original = (
        "SIDES = 4\n\n\ndef area(width, height):\n    return width + height\n\n\n"
        "def perimeter(width, height):\n    return 2 * (width + height)\n"
    )
    digest = hashlib.sha256(original.encode()).hexdigest()
    root = shapes_repo(
        tmp_path / "repo",
        **{
            "tests/test_frozen.py": f"""
                import hashlib


                def test_geometry_file_is_unchanged():
                    data = open("shapes/geometry.py", "rb").read()
                    assert hashlib.sha256(data).hexdigest() == "{digest}"
            """
        },
    )
    assert (root / GEOMETRY_FIXED).read_text() == original
    change = candidate({GEOMETRY_FIXED: geometry()})
    verdict, cold, validator = await cold_fallback(runner, root, change)
    assert not verdict.accepted and not cold.accepted
    assert verdict.reason == cold.reason
    assert verdict.validation.startswith(
        "cold (the warm run passed a candidate the cold run rejected"
    )
    assert validator.validation.startswith("warm, then cold (the warm run passed a candidate")


async def test_a_case_healed_warm_gets_the_fix_it_gets_cold_and_says_how(
    runner: SandboxCommandRunner, tmp_path: Path
) -> None:
    from app.healing.candidate_search import Budget
    from app.healing.engine import build_healer, heal_repository

    fixes = {}
    for warm in (True, False):
        root = shutil.copytree(CORPUS / "booking", tmp_path / f"booking-{warm}")
        healer = build_healer(runner=runner, budget=Budget(seconds=120, warm=warm))
        tests = RepositoryTests.without_environment("python -m pytest -q")
        result = await heal_repository(healer, root, None, tests=tests)
        assert result.fix is not None, result.rejections[:3]
        fixes[result.validation] = result.fix.changes

    assert set(fixes) == {"warm", "cold (warm validation is off)"}
    assert fixes["warm"] == fixes["cold (warm validation is off)"]
    assert set(fixes["warm"]) == {"calendar_slots.py"}
