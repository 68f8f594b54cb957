"""`kintsugi env PATH`: find, build (or reuse) a repository's environment and run its tests."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from app.environments import EnvironmentUnavailable, Recipe
from app.environments.environment import Environment
from app.errors import KintsugiError
from app.healing.suite import SuiteReport
from app.workspace import copy_repository

EXIT_PASSED, EXIT_FAILED, EXIT_UNAVAILABLE = 0, 1, 2
_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".tox", ".nox")


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's own type
    env = commands.add_parser(
        "env",
        help="build (or reuse) a repository's environment and run its tests on the unchanged code",
        description="Prints the recipe found (where each part came from), the interpreter, "
        "build and reuse times and the test counts. Exit 0: the tests passed; 1: some failed; "
        "2: the environment could not be built or the tests could not run.",
    )
    env.add_argument("path", type=Path, help="the repository's working tree")
    env.add_argument("--json", action="store_true", help="print the result as JSON")
    env.add_argument(
        "--timeout", type=float, default=600.0, metavar="SECONDS", help="wall clock of the tests"
    )
    env.set_defaults(handler=run_env)


def run_env(args: argparse.Namespace) -> int:
    root: Path = args.path
    result: dict[str, Any] = {}
    try:
        if not root.is_dir():
            raise EnvironmentUnavailable(f"{root} is not a directory")
        code = asyncio.run(_build_and_test(root.resolve(), args.timeout, result))
    except KintsugiError as error:
        reason = getattr(error, "reason", str(error))
        result.update(error=reason, output=getattr(error, "output", ""))
        code = EXIT_UNAVAILABLE
    result["exit_code"] = code
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return code


async def _build_and_test(root: Path, test_seconds: float, result: dict[str, Any]) -> int:
    from app.environments.detect import detect_recipe
    from app.environments.wiring import environment_cache
    from app.github.config import read_checkout_config
    from app.healing.runner import SandboxCommandRunner
    from app.healing.suite import run_suite
    from app.settings import get_settings
    from functions.sandbox import Sandbox

    # The same overrides healing reads: `kintsugi env` shows the environment every case uses.
    recipe = detect_recipe(root, config=read_checkout_config(root).config.environment_overrides())
    result["recipe"] = recipe_dict(recipe)
    settings = get_settings()
    sandbox = Sandbox(allow_degraded=settings.sandbox_allow_degraded)
    cache = environment_cache(settings, sandbox)
    async with cache.provide(recipe, root) as environment:
        result["environment"] = environment_dict(environment)
        with tempfile.TemporaryDirectory(prefix="kintsugi-env-") as scratch:
            work = Path(scratch) / "work"
            # A copy: the run writes its report, and the sandbox owns its workdir meanwhile.
            await asyncio.to_thread(copy_repository, root, work, ignore=_NOT_COPIED)
            runner = SandboxCommandRunner(sandbox, memory_mb=2048, disk_mb=settings.sandbox_disk_mb)
            report = await run_suite(
                runner,
                work,
                recipe.test_command,
                timeout_seconds=test_seconds,
                environment=environment,
            )
    result["tests"] = tests_dict(report)
    if not report.readable:
        raise EnvironmentUnavailable(
            f"the tests could not run: the test command gave no readable report "
            f"(outcome {report.outcome}, exit code {report.exit_code})",
            output=report.output_tail,
        )
    if report.total == 0 and not report.skipped:
        raise EnvironmentUnavailable(
            "the tests could not run: no tests were collected", output=report.output_tail
        )
    return EXIT_FAILED if report.failed else EXIT_PASSED


def recipe_dict(recipe: Recipe) -> dict[str, Any]:
    return {
        "python": {
            "version": recipe.python.version,
            "executable": str(recipe.python.executable),
            "source": str(recipe.python.source),
        },
        "steps": [
            {"kind": step.kind, "args": list(step.args), "source": str(step.source)}
            for step in recipe.steps
        ],
        "constraints": len(recipe.constraints),
        "constraints_source": str(recipe.constraints_source or ""),
        "test_command": recipe.test_command,
        "test_source": str(recipe.test_source),
        "test_env": dict(recipe.test_env),
        "inputs": list(recipe.inputs),
    }


def environment_dict(environment: Environment) -> dict[str, Any]:
    return {
        "key": environment.key,
        "path": str(environment.root),
        "interpreter": str(environment.python),
        "built": environment.built,
        "build_seconds": round(environment.build_seconds, 3),
        "ready_seconds": round(environment.ready_seconds, 3),
        "source_roots": list(environment.source_roots),
    }


def tests_dict(report: SuiteReport) -> dict[str, Any]:
    return {
        "passed": len(report.passed),
        "failed": len(report.failed - report.errored),
        "errors": len(report.errored),
        "skipped": len(report.skipped),
        "seconds": round(report.wall_seconds, 2),
        "outcome": report.outcome,
        "failing": sorted(report.failed)[:20],
    }


def _print(result: dict[str, Any]) -> None:
    recipe = result.get("recipe")
    if recipe:
        python = recipe["python"]
        print(f"python {python['version']} at {python['executable']}  ({python['source']})")
        for step in recipe["steps"]:
            print(f"install {step['kind']} {' '.join(step['args'])}  ({step['source']})")
        if recipe["constraints"]:
            print(f"constraints: {recipe['constraints']} pins  ({recipe['constraints_source']})")
        variables = " ".join(f"{k}={v}" for k, v in recipe["test_env"].items())
        command = f"{variables} {recipe['test_command']}".strip()
        print(f"tests: {command}  ({recipe['test_source']})")
    environment = result.get("environment")
    if environment:
        how = "built" if environment["built"] else "reused"
        print(
            f"environment {environment['key']} {how} in {environment['ready_seconds']:.2f}s "
            f"(build took {environment['build_seconds']:.1f}s); "
            f"interpreter {environment['interpreter']}"
        )
    tests = result.get("tests")
    if tests:
        print(
            f"tests: {tests['passed']} passed, {tests['failed']} failed, {tests['errors']} errors, "
            f"{tests['skipped']} skipped in {tests['seconds']:.1f}s"
        )
        for node in tests["failing"]:
            print(f"  failing: {node}")
    if "error" in result:
        print(f"kintsugi env: {result['error']}", file=sys.stderr)
        if result.get("output"):
            print(result["output"], file=sys.stderr)
