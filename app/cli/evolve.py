"""`kintsugi evolve [--dry-run]`: one evolution run against the configured event store."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    evolve = commands.add_parser(
        "evolve",
        help="replay strategy variants on recorded and corpus cases; promote a proven winner",
        description=(
            "Reads the event log (outcomes, merged and rejected fixes), rolls back a promoted "
            "variant whose live results dropped, or replays challengers against the active "
            "variant and promotes one that wins by the statistical rule."
        ),
    )
    evolve.add_argument("--dry-run", action="store_true", help="replay and report; record nothing")
    evolve.add_argument(
        "--cases", type=int, default=None, metavar="N", help="corpus cases to replay"
    )
    evolve.add_argument("--challengers", type=int, default=None, metavar="N")
    evolve.add_argument("--corpus", type=Path, default=None, metavar="DIR")
    evolve.add_argument("--json", action="store_true", help="print the result as JSON")
    evolve.set_defaults(handler=run_evolve)


def run_evolve(args: argparse.Namespace) -> int:
    from rich.console import Console

    console = Console(stderr=True)
    result = asyncio.run(_evolve(args, console))
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        _print_result(result)
    return 0


async def _evolve(args: argparse.Namespace, console: Any) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from app.database import create_engine, ensure_schema, event_store
    from app.environments.wiring import environment_cache
    from app.evolution.evolver import Progress as EvolutionProgress
    from app.evolution.scheduled import configured_evolver, configured_llm
    from app.github.replay_checkouts import app_recorded_source
    from app.settings import get_settings
    from functions.sandbox import Sandbox

    settings = get_settings()
    if args.corpus is not None:
        settings = settings.model_copy(update={"evolution_corpus_path": args.corpus})
    engine = create_engine(settings.resolved_database_url)
    store = event_store(engine)
    recorded = app_recorded_source(settings, store)
    console.print(_recorded_note(settings, recorded is not None))
    with Progress(
        TextColumn("[bold]{task.fields[stage]:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None, stage="analysing")

        def show(progress: EvolutionProgress) -> None:
            bar.update(
                task,
                description=progress.message[:80],
                stage=progress.stage.value,
                completed=progress.done,
                total=progress.total or None,
            )

        try:
            await ensure_schema(engine, auto_migrate=settings.is_sqlite)
            evolver = configured_evolver(
                settings,
                store,
                llm_provider=configured_llm(settings),
                dry_run=args.dry_run,
                on_progress=show,
                sample_size=args.cases,
                challengers=args.challengers,
                recorded=recorded,
                environments=environment_cache(
                    settings, Sandbox(allow_degraded=settings.sandbox_allow_degraded)
                ),
            )
            return await evolver.evolve()
        finally:
            await engine.dispose()


def _recorded_note(settings: Any, with_app: bool) -> str:
    """What this run replays besides the corpus, and why."""
    if with_app:
        return (
            f"replaying the corpus and the {settings.evolution_recorded_cases} newest recorded "
            "cases of all repositories, each cloned through its installation"
        )
    if settings.evolution_recorded_cases <= 0:
        return "replaying the corpus only: EVOLUTION_RECORDED_CASES=0"
    return (
        "replaying the corpus only: no GitHub App is configured (GITHUB_APP_ID), so recorded "
        "cases cannot be cloned"
    )


def _print_result(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    incumbent = result.get("incumbent_replay")
    table = Table(
        title=f"evolution: {result['status']}" + (" (dry run)" if result["dry_run"] else "")
    )
    for column in ("variant", "change", "fixed", "median s to fix", "agreement", "p", "decision"):
        table.add_column(column)
    if incumbent:
        table.add_row(
            incumbent["variant"],
            "(active)",
            f"{incumbent['fixed']}/{incumbent['cases']}",
            _number(incumbent["median_seconds_to_fix"]),
            _number(incumbent["agreement"]),
            "",
            "",
        )
    for challenger in result["challengers"]:
        decision = challenger["decision"]
        table.add_row(
            challenger["variant"],
            challenger["note"],
            f"{challenger['fixed']}/{challenger['cases']}",
            _number(challenger["median_seconds_to_fix"]),
            _number(challenger["agreement"]),
            _number(decision["p_time"] if decision["reason"] == "faster" else decision["p_fix"]),
            ("promote: " if challenger["promote"] else "keep: ") + decision["reason"],
        )
    console.print(table)
    rollback = result.get("rollback") or {}
    if rollback.get("rolled_back"):
        console.print(f"rolled back: {rollback['reason']}")
    recorded = result.get("recorded")
    if recorded:
        console.print(
            f"recorded cases: {recorded['replayed']} replayed, {recorded['skipped']} skipped"
        )
        for name, reason in recorded["skip_reasons"].items():
            console.print(f"  skipped {name}: {reason}")
    console.print(
        f"active variant: {result['active_variant']}; improvements applied: "
        f"{result['improvements_applied']}; {result.get('seconds', 0)} s"
    )


def _number(value: Any) -> str:
    return "-" if value is None else f"{value:.3g}" if isinstance(value, float) else str(value)
