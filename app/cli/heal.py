"""`kintsugi heal PATH`: find, validate and optionally apply a fix for a crash or failing tests."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.cli.env import environment_dict
from app.environments import EnvironmentUnavailable
from app.environments.cache import EnvironmentCache
from app.environments.repository_tests import repository_tests
from app.environments.wiring import environment_cache
from app.errors import KintsugiError, PermanentError
from app.github.config import read_checkout_config
from app.healing.blockers import Blocker
from app.healing.candidate_search import Budget, HealingResult, why_not_fixed
from app.healing.engine import blocked_result, build_healer, heal_repository
from app.healing.hang_guard import HangGuard
from app.healing.incidents import incident_from_sentry, incident_from_traceback
from app.healing.incidents.model import Incident
from app.healing.pipeline import Healer
from app.healing.runner import SandboxCommandRunner
from app.workspace import write_text
from functions.sandbox import Sandbox

EXIT_FIXED, EXIT_NOT_FIXED, EXIT_BAD_INPUT = 0, 1, 2


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's own type
    heal = commands.add_parser(
        "heal",
        help="heal a crash (traceback or Sentry event) or the failing tests of a repository",
        description="Without --traceback or --sentry-event, runs the tests and heals what fails. "
        "Every run uses the repository's own environment, found from its files as `kintsugi env` "
        "shows, built once and reused.",
    )
    heal.add_argument("path", type=Path, help="the repository's working tree")
    source = heal.add_mutually_exclusive_group()
    source.add_argument("--traceback", type=Path, metavar="FILE", help="a Python traceback as text")
    source.add_argument(
        "--sentry-event",
        type=Path,
        metavar="FILE",
        help="a raw Sentry event or a whole webhook body",
    )
    heal.add_argument(
        "--test-command",
        default=None,
        metavar="CMD",
        help="run the tests with CMD (may start with VAR=value assignments) instead of the "
        "command found in the repository's files or .github/kintsugi.yml",
    )
    heal.add_argument("--apply", action="store_true", help="write the fix into the working tree")
    heal.add_argument("--json", action="store_true", help="print the result as JSON")
    heal.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="wall-clock budget of the case (default: HEALING_BUDGET_SECONDS)",
    )
    heal.set_defaults(handler=run_heal)


def _incident(args: argparse.Namespace) -> Incident | None:
    try:
        if args.traceback is not None:
            return incident_from_traceback(args.traceback.read_text(encoding="utf-8"))
        if args.sentry_event is not None:
            return incident_from_sentry(args.sentry_event.read_text(encoding="utf-8"))
    except OSError as error:
        raise PermanentError(f"cannot read the incident file: {error}") from error
    return None


def run_heal(args: argparse.Namespace) -> int:
    root: Path = args.path
    if not root.is_dir():
        print(f"kintsugi heal: {root} is not a directory", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        incident = _incident(args)
        result, environment = _heal_with_progress(root, incident, args)
    except KintsugiError as error:
        if args.json:
            print(json.dumps({"error": str(error)}))
        print(f"kintsugi heal: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if result.fix is not None and args.apply:
        for path, text in {**result.fix.changes, **result.fix.new_tests}.items():
            write_text(root, path, text)
    _report(result, environment, args)
    if result.blocked is not None:
        return EXIT_BAD_INPUT
    return EXIT_FIXED if result.fix is not None else EXIT_NOT_FIXED


def _heal_with_progress(
    root: Path, incident: Incident | None, args: argparse.Namespace
) -> tuple[HealingResult, dict[str, Any] | None]:
    from rich.console import Console

    from app.settings import get_settings

    settings = get_settings()
    seconds = args.budget if args.budget is not None else settings.healing_budget_seconds
    budget = Budget(
        seconds=seconds,
        run_timeout=min(120.0, seconds),
        parallel=settings.healing_parallel_candidates,
        hangs=HangGuard(
            settings.test_timeout_seconds,
            settings.test_timeout_factor,
            settings.test_timeout_floor_seconds,
        ),
        warm=settings.healing_warm_validation,
    )
    llm_provider = None
    if settings.llm_model:
        from app.llm import LLMProviderAbstraction

        llm_provider = LLMProviderAbstraction().for_case(settings.llm_cost_budget_usd)
    sandbox = Sandbox(allow_degraded=settings.sandbox_allow_degraded)
    runner = SandboxCommandRunner(sandbox, disk_mb=settings.sandbox_disk_mb)
    healer = build_healer(runner=runner, budget=budget, llm_provider=llm_provider)
    environments = environment_cache(settings, sandbox)
    console = Console(stderr=True)
    with console.status("healing: building or reusing the repository's environment…") as status:
        return asyncio.run(
            _heal_in_environment(healer, environments, root, incident, args, status.update)
        )


async def _heal_in_environment(
    healer: Healer,
    environments: EnvironmentCache,
    root: Path,
    incident: Incident | None,
    args: argparse.Namespace,
    progress: Callable[[str], None],
) -> tuple[HealingResult, dict[str, Any] | None]:
    """The repository's environment provided (built or reused) and the case healed in it; an
    environment that cannot be built ends the case with its reason and output."""
    config = read_checkout_config(root).config.environment_overrides()
    try:
        async with repository_tests(
            environments, root, config=config, test_command=args.test_command
        ) as tests:
            environment = tests.environment
            assert environment is not None
            how = "built" if environment.built else "reused"
            progress(
                f"healing in environment {environment.key[:12]} ({how} in "
                f"{environment.ready_seconds:.1f}s): reproducing, generating and validating "
                "candidates…"
            )
            result = await heal_repository(healer, root, incident, tests=tests)
            return result, environment_dict(environment)
    except EnvironmentUnavailable as error:
        return blocked_result(Blocker.environment(error)), None


def _report(
    result: HealingResult, environment: dict[str, Any] | None, args: argparse.Namespace
) -> None:
    fix = result.fix
    if args.json:
        print(
            json.dumps(
                {
                    "case_id": result.case_id,
                    "fingerprint": result.fingerprint,
                    "fixed": fix is not None,
                    "reproduced": result.reproduced,
                    "candidates_tried": result.candidates_tried,
                    "seconds": round(result.seconds, 2),
                    "stopped": result.stopped,
                    "validation": result.validation,
                    "applied": bool(fix and args.apply),
                    "environment": environment,
                    "fix": fix.to_dict() if fix else None,
                    "blocked": (
                        {"reason": result.blocked.reason, "output": result.blocked.output}
                        if result.blocked
                        else None
                    ),
                },
                indent=2,
            )
        )
        return
    if environment is not None:
        how = "built" if environment["built"] else "reused"
        print(
            f"environment {environment['key']} {how} in {environment['ready_seconds']:.2f}s; "
            f"interpreter {environment['interpreter']}"
        )
    if result.blocked is not None:
        print(f"could not heal: {result.blocked.reason}")
        if result.blocked.output:
            print(result.blocked.output)
        return
    print(f"case {result.case_id} (fingerprint {result.fingerprint})")
    print(
        f"reproduced: {'yes' if result.reproduced else 'no'}; "
        f"candidates tried: {result.candidates_tried}; stopped: {result.stopped}; "
        f"validation: {result.validation}"
    )
    if fix is None:
        print(f"no validated fix found in {result.seconds:.1f}s: {why_not_fixed(result)}")
        return
    print(f"fix {fix.id} via {fix.strategy}/{fix.operator}, confidence {fix.confidence:.2f}")
    print(f"root cause: {fix.root_cause}")
    before, after = fix.evidence.before, fix.evidence.after
    print(
        f"tests before: {before.get('passed', 0)}/{before.get('total', 0)} passed; "
        f"after: {after.get('passed', 0)}/{after.get('total', 0)} passed"
    )
    for path in sorted(fix.new_tests):
        print(f"new regression test: {path}")
    print()
    print(fix.diff, end="")
    if args.apply:
        print("\napplied to the working tree")
