"""Benchmark of repositories' environments on the corpus of real projects: per project, the cold
build, the warm reuse, and the time `kintsugi heal` takes to a validated fix of its seeded bug.

Run from the repository root: `python bench/bench_environments.py [--only NAME ...] [--budget S]
[--cache DIR] [--no-heal]`. Each project's pinned sdist is fetched (once, into the corpus cache),
then `kintsugi env` and `kintsugi heal` run as a user runs them, one process each, on an
environment cache of this run only (`--cache` keeps one between runs: builds are then warm).
Cold means no environment of that key exists yet; downloads from the package index are part of
it (a build's uv cache is its own, by design). Heal runs on the seeded copy with the environment
warm, `--apply`s its fix, and the fix counts as validated when `kintsugi env` then passes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.environments.corpus import CorpusProject, cache_root, checkout, load_manifest

ROOT = Path(__file__).resolve().parents[1]
REUSE_TARGET_SECONDS = 1.0
HEAL_TARGET_SECONDS = 60.0


@dataclass
class Row:
    project: CorpusProject
    tests: int = 0
    cold_seconds: float | None = None
    reuse_seconds: float | None = None
    warm_run_seconds: float | None = None
    heal_seconds: float | None = None
    fixed: bool = False
    validated: bool = False
    tried: int = 0
    note: str = ""


def kintsugi(
    argv: list[str], env: dict[str, str], timeout: float
) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    seconds = time.monotonic() - started
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        result = {"error": f"no JSON (exit {done.returncode}): {done.stderr.strip()[-300:]}"}
    return done.returncode, result, seconds


def measure(
    project: CorpusProject, scratch: Path, env: dict[str, str], args: argparse.Namespace
) -> Row:
    row = Row(project)
    pristine = checkout(project, cache_root(), scratch / "pristine", seeded=False)
    code, cold, _ = kintsugi(["env", str(pristine), "--json"], env, 900)
    if code != 0:
        row.note = f"env exit {code}: {cold.get('error') or cold.get('tests')}"
        return row
    environment = cold["environment"]
    row.tests = cold["tests"]["passed"]
    row.cold_seconds = environment["ready_seconds"] if environment["built"] else None
    if not environment["built"]:
        row.note = "already in --cache: no cold build measured"
    code, warm, warm_seconds = kintsugi(["env", str(pristine), "--json"], env, 900)
    if code == 0 and not warm["environment"]["built"]:
        row.reuse_seconds = warm["environment"]["ready_seconds"]
        row.warm_run_seconds = warm_seconds
    if args.no_heal:
        return row
    seeded = checkout(project, cache_root(), scratch / "seeded", seeded=True)
    heal_env = {**env, "HEALING_BUDGET_SECONDS": str(args.budget)}
    code, healed, seconds = kintsugi(
        ["heal", str(seeded), "--json", "--apply"], heal_env, args.budget + 300
    )
    row.heal_seconds = seconds
    row.fixed = bool(healed.get("fixed"))
    row.tried = int(healed.get("candidates_tried") or 0)
    if row.fixed:
        code, _, _ = kintsugi(["env", str(seeded), "--json"], env, 900)
        row.validated = code == 0
    else:
        blocked = healed.get("blocked") or healed.get("error") or ""
        row.note = f"not fixed: {blocked}"[:120] if blocked else "not fixed"
    return row


def _seconds(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(rows: list[Row]) -> None:
    print(
        "| project | backend | layout | tests | cold build s | warm reuse s | warm `env` s "
        "| heal s | fixed | candidates |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
    for row in rows:
        p = row.project
        fixed = "validated" if row.validated else ("yes, not validated" if row.fixed else "no")
        print(
            f"| {p.name} {p.version} | {p.backend} | {p.layout} | {row.tests} "
            f"| {_seconds(row.cold_seconds, 1)} | {_seconds(row.reuse_seconds, 3)} "
            f"| {_seconds(row.warm_run_seconds, 1)} | {_seconds(row.heal_seconds, 1)} "
            f"| {fixed} | {row.tried} |"
        )
    print()
    for row in rows:
        if row.note:
            print(f"- {row.project.name}: {row.note}")
    reuse = [row.reuse_seconds for row in rows if row.reuse_seconds is not None]
    cold = [row.cold_seconds for row in rows if row.cold_seconds is not None]
    heals = [row.heal_seconds for row in rows if row.heal_seconds is not None and row.validated]
    if cold:
        print(f"cold build: median {statistics.median(cold):.1f} s, max {max(cold):.1f} s")
    if reuse:
        print(
            f"warm reuse: max {max(reuse):.3f} s (target ≤ {REUSE_TARGET_SECONDS:.0f} s: "
            f"{'met' if max(reuse) <= REUSE_TARGET_SECONDS else 'missed'})"
        )
    healed = sum(row.validated for row in rows)
    within = sum(1 for seconds in heals if seconds <= HEAL_TARGET_SECONDS)
    print(
        f"healed: {healed}/{len(rows)} with a validated fix, {within} within "
        f"{HEAL_TARGET_SECONDS:.0f} s"
        + (f"; median {statistics.median(heals):.1f} s" if heals else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", default=[], help="project names to run")
    parser.add_argument("--budget", type=float, default=120.0, help="heal budget, seconds")
    parser.add_argument("--cache", type=Path, help="environment cache to use (default: fresh)")
    parser.add_argument("--no-heal", action="store_true", help="only build and reuse")
    args = parser.parse_args()
    projects = [p for p in load_manifest() if not args.only or p.name in args.only]
    rows = []
    with tempfile.TemporaryDirectory(prefix="kintsugi-bench-env-") as scratch:
        cache = args.cache or Path(scratch) / "environments"
        env = {**os.environ, "ENVIRONMENT_CACHE_DIR": str(cache)}
        env.pop("LLM_MODEL", None)  # offline: the engine's own search, as in bench_healing
        for project in projects:
            work = Path(scratch) / project.ident
            row = measure(project, work, env, args)
            rows.append(row)
            print(
                f"{project.name}: cold {_seconds(row.cold_seconds, 1)} s, reuse "
                f"{_seconds(row.reuse_seconds, 3)} s, heal {_seconds(row.heal_seconds, 1)} s "
                f"({'validated' if row.validated else 'not fixed'})",
                file=sys.stderr,
                flush=True,
            )
    print_table(rows)


if __name__ == "__main__":
    main()
