"""Benchmark of self-evolution: from a deliberately poor strategy variant, do replay, the
promotion rule and rollback-safe deployment measurably improve fix rate or time to fix?

Run from the repository root: `python bench/bench_evolution.py [--rounds N] [--crashes N]
[--logic N] [--challengers N]`. The poor variant runs test-guided search first with a budget
of four candidates, templates last and in reverse order, and the search's most useful
operators pushed to the back. Each round is one `SelfEvolvingAI.evolve()` on the same sample;
at the end the poor variant and the evolved one are replayed on the sample (the incumbent's
replays are reused) and on held-out cases the rounds never saw.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.events.memory import InMemoryEventStore
from app.evolution import ReplayCase, Replayer, ReplayRun, SelfEvolvingAI, default_variant
from app.evolution.corpus import load_corpus, sample_cases
from app.evolution.history import load_history, record_promotion
from app.evolution.variant import TEMPLATES, StrategyVariant
from app.healing.candidate_search import Budget

CORPUS = Path(__file__).resolve().parent / "corpus"
USEFUL_OPERATORS = ("binary_operator", "comparison", "off_by_one", "builtin", "constant", "swap")


def poor_variant() -> StrategyVariant:
    return default_variant().derive(
        "deliberately poor: search first on a tiny budget, templates last, bad priorities",
        strategy_order=("search", "template"),
        strategy_budgets={"search": 4},
        templates=tuple(reversed(TEMPLATES)),
        operator_offsets={name: 40.0 for name in USEFUL_OPERATORS},
    )


def split(cases: list[ReplayCase], crashes: int, logic: int) -> tuple[list[ReplayCase], ...]:
    """A training sample for the rounds and the held-out rest, both deterministic."""
    train = sample_cases(cases, crashes, kinds=("crash",), seed="bench") + sample_cases(
        cases, logic, kinds=("logic",), seed="bench"
    )
    names = {case.name for case in train}
    return train, [case for case in cases if case.name not in names]


def row(label: str, run: ReplayRun) -> str:
    seconds = [o.seconds for o in run.outcomes.values()]
    tried = [o.candidates for o in run.outcomes.values()]
    median_fix = run.median_seconds_to_fix
    return (
        f"{label:<22} {run.variant.id:<12} {f'{run.fixed}/{len(run.outcomes)}':>8} "
        f"{run.fix_rate:>8.0%} {'-' if median_fix is None else f'{median_fix:.1f}':>13} "
        f"{statistics.mean(seconds) if seconds else 0:>10.1f} {sum(tried):>7}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--crashes", type=int, default=6, help="crash cases in the sample")
    parser.add_argument("--logic", type=int, default=8, help="logic cases in the sample")
    parser.add_argument("--challengers", type=int, default=4, help="challengers per round")
    parser.add_argument("--held-out", type=int, default=10, help="held-out cases to evaluate")
    args = parser.parse_args()

    train, rest = split(load_corpus(CORPUS), args.crashes, args.logic)
    held_out = sample_cases(rest, args.held_out, seed="held-out")
    budget = Budget(seconds=60.0, parallel=1, run_timeout=30.0)
    store = InMemoryEventStore()
    poor = poor_variant()
    await record_promotion(store, poor, default_variant(), {"reason": "benchmark start"})
    print(f"sample: {', '.join(c.name for c in train)}")
    print(f"held out: {', '.join(c.name for c in held_out)}\n")
    print(f"{'round':<6} {'status':<15} {'active':<12} {'challengers (fixed/cases, decision)'}")
    started = time.monotonic()
    for number in range(1, args.rounds + 1):
        evolver = SelfEvolvingAI(
            store=store,
            corpus=train,
            sample_size=len(train),
            kinds=(),
            challengers=args.challengers,
            budget_seconds=3600,
            case_budget=budget,
        )
        result = await evolver.evolve()
        tried = "; ".join(
            f"{c['note'][:40]} {c['fixed']}/{c['cases']} "
            f"(+{c['decision']['wins']} -{c['decision']['losses']} "
            f"p={c['decision']['p_fix']:.3f}) "
            f"{'PROMOTE' if c['promote'] else c['decision']['reason']}"
            for c in result["challengers"]
        )
        print(f"{number:<6} {result['status']:<15} {result['active_variant']:<12} {tried}")
    evolved = (await load_history(store)).active

    replayer = Replayer(case_budget=budget)
    print(f"\nevolution took {time.monotonic() - started:.0f} s; evolved variant {evolved.id}:")
    print(f"  {evolved.model_dump(exclude={'prompt_guidance'})}\n")
    header = f"{'set':<22} {'variant':<12} {'fixed':>8} {'rate':>8} {'median s/fix':>13}"
    print(f"{header} {'mean s':>10} {'tried':>7}")
    for label, cases in (("sample (before)", train), ("held out (before)", held_out)):
        print(row(label, await replayer.run(poor, cases)))
        print(row(label.replace("before", "after"), await replayer.run(evolved, cases)))
    default = await replayer.run(default_variant(), held_out)
    print(row("held out (defaults)", default))


if __name__ == "__main__":
    asyncio.run(main())
