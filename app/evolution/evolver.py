"""`SelfEvolvingAI`: analyse the log, generate challengers, replay them, promote or roll back."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from app.environments.cache import EnvironmentCache
from app.events.memory import InMemoryEventStore
from app.events.model import Event, EventType
from app.events.store import EventStore
from app.evolution.analysis import OutcomeReport, analyse, merged_references
from app.evolution.corpus import ReplayCase, default_corpus_path, load_corpus, sample_cases
from app.evolution.decision import ALPHA, PromotionDecision, decide
from app.evolution.generation import challengers
from app.evolution.history import (
    EVOLUTION_TYPES,
    project_history,
    read_events,
    record_promotion,
    record_replay,
    record_rollback,
)
from app.evolution.prompts import propose_prompt_edit
from app.evolution.recorded import RecordedReplay, RecordedSource
from app.evolution.replay import CaseOutcome, Replayer, ReplayRun
from app.evolution.rollback import check_rollback
from app.evolution.variant import StrategyVariant
from app.healing.candidate_search import Budget
from app.healing.runner import CommandRunner

log = logging.getLogger(__name__)

HEALING_TYPES = (
    EventType.HEALING_CASE_OPENED,
    EventType.HEALING_FIX_VALIDATED,
    EventType.HEALING_FIX_NOT_FOUND,
    EventType.HEALING_PR_OPENED,
    EventType.HEALING_PR_MERGED,
    EventType.HEALING_PR_REJECTED,
    EventType.HEALING_PR_REVERTED,
)


class Stage(StrEnum):
    ANALYSING = "analysing"
    GENERATING = "generating"
    TESTING = "testing"
    DEPLOYING = "deploying"
    IDLE = "idle"


@dataclass(frozen=True)
class Progress:
    """What the evolver is doing: the stage, a line for people, and replay cases done/total."""

    stage: Stage
    message: str
    done: int = 0
    total: int = 0


OnProgress = Callable[[Progress], None]


class SelfEvolvingAI:
    """One evolution run per `evolve()`; the active variant lives in the event log.

    The defaults (an in-memory store, five crash cases of the built-in corpus, one challenger)
    keep a bare `SelfEvolvingAI(llm).evolve()` to a few seconds; the CLI and the nightly job
    pass the configured store and larger samples."""

    def __init__(
        self,
        llm_provider: Any | None = None,
        *,
        store: EventStore | None = None,
        corpus: Sequence[ReplayCase] | Path | None = None,
        sample_size: int = 5,
        kinds: tuple[str, ...] = ("crash",),
        challengers: int = 1,
        budget_seconds: float = 300.0,
        case_budget: Budget | None = None,
        runner: CommandRunner | None = None,
        parallel_cases: int = 2,
        alpha: float = ALPHA,
        dry_run: bool = False,
        on_progress: OnProgress | None = None,
        recorded: RecordedSource | None = None,
        environments: EnvironmentCache | None = None,
    ) -> None:
        self.llm_provider = llm_provider
        # Cases replay in their own environments; None: on Kintsugi's interpreter (library API).
        self.environments = environments
        self.store: EventStore = store if store is not None else InMemoryEventStore()
        self.corpus = corpus
        self.sample_size = sample_size
        self.kinds = kinds
        self.challenger_count = challengers
        self.budget_seconds = budget_seconds
        self.case_budget = case_budget
        self.runner = runner
        self.parallel_cases = parallel_cases
        self.alpha = alpha
        self.dry_run = dry_run
        self.on_progress = on_progress
        # Live cases replayed alongside the corpus sample (newest first, bounded by the source).
        self.recorded = recorded
        self._stage = Stage.IDLE
        self._improvements = 0
        self._rollbacks = 0
        self._active: StrategyVariant | None = None
        self._last: dict[str, Any] | None = None

    def cases(self) -> list[ReplayCase]:
        """The replay sample: the given cases, or a deterministic sample of the corpus."""
        corpus = self.corpus if self.corpus is not None else default_corpus_path()
        if corpus is None:
            return []
        pool = load_corpus(corpus) if isinstance(corpus, Path) else list(corpus)
        return sample_cases(pool, self.sample_size, kinds=self.kinds)

    async def evolve(self, challengers: Sequence[StrategyVariant] | None = None) -> dict[str, Any]:
        """One run. `challengers` replaces the generated ones (e.g. a hand-written variant to
        put to the same test)."""
        started = time.monotonic()
        try:
            result = await self._evolve(started, challengers)
        finally:
            self._set(Stage.IDLE, "idle")
        result["seconds"] = round(time.monotonic() - started, 2)
        self._last = result
        return result

    async def _evolve(
        self, started: float, given: Sequence[StrategyVariant] | None
    ) -> dict[str, Any]:
        self._set(Stage.ANALYSING, "reading the event log")
        events = await read_events(self.store, [*HEALING_TYPES, *EVOLUTION_TYPES])
        report = analyse(events)
        history = project_history(e for e in events if e.type.startswith("evolution."))
        self._improvements, self._rollbacks = history.promotions, history.rollbacks
        self._active = incumbent = history.active
        result: dict[str, Any] = {
            "status": "no_improvement",
            "improvements_applied": 0,
            "dry_run": self.dry_run,
            "active_variant": incumbent.id,
            "incumbent": incumbent.id,
            "analysis": report.to_dict(),
            "rollback": None,
            "cases": [],
            "challengers": [],
        }

        verdict = check_rollback(history, report.cases, alpha=self.alpha)
        result["rollback"] = {"rolled_back": verdict.rollback, "reason": verdict.reason}
        if verdict.rollback:
            restored = history.previous[-1]
            self._set(Stage.DEPLOYING, f"rolling back {incumbent.id}: {verdict.reason}")
            if not self.dry_run:
                await record_rollback(
                    self.store, incumbent, restored, verdict.reason, verdict.evidence()
                )
                self._rollbacks += 1
                self._active = restored
            result.update(status="rolled_back", active_variant=self._active.id)
            return result

        self._set(Stage.GENERATING, f"mutating {incumbent.id}")
        # Each recorded run moves the seed, so nightly runs try new directions.
        seed = history.replays * 7919 + history.promotions * 1009 + history.rollbacks * 101
        if given is not None:
            candidates = [c for c in given if c.behaviour_key != incumbent.behaviour_key]
        else:
            candidates = challengers(
                incumbent,
                self.challenger_count,
                seed=seed,
                priors=report.priors,
                promising=history.promising,
            )
            prompt_challenger = await propose_prompt_edit(self.llm_provider, incumbent, report)
            if prompt_challenger is not None:
                candidates.append(prompt_challenger)

        async with self._recorded(events) as recorded:
            cases = [*self.cases(), *recorded.cases]
            result["cases"] = [case.name for case in cases]
            if self.recorded is not None:
                result["recorded"] = recorded.summary()
            if not cases or not candidates:
                result["status"] = "no_cases" if not cases else "no_challengers"
                return result
            return await self._test(result, report, incumbent, candidates, cases, started)

    @asynccontextmanager
    async def _recorded(self, events: Sequence[Event]) -> AsyncIterator[RecordedReplay]:
        if self.recorded is None:
            yield RecordedReplay()
            return
        self._set(Stage.TESTING, "checking out recorded cases")
        async with self.recorded.open(events) as prepared:
            yield prepared

    async def _test(
        self,
        result: dict[str, Any],
        report: OutcomeReport,
        incumbent: StrategyVariant,
        candidates: Sequence[StrategyVariant],
        cases: Sequence[ReplayCase],
        started: float,
    ) -> dict[str, Any]:
        total = len(cases) * (1 + len(candidates))
        done = 0

        def case_done(variant: StrategyVariant, outcome: CaseOutcome) -> None:
            nonlocal done
            done += 1
            mark = "fixed" if outcome.fixed else "not fixed"
            self._set(Stage.TESTING, f"{variant.id} {outcome.case}: {mark}", done, total)

        replayer = Replayer(
            runner=self.runner,
            case_budget=self.case_budget,
            parallel_cases=self.parallel_cases,
            llm_provider=self.llm_provider,
            references=merged_references(report.cases),
            deadline=started + self.budget_seconds,
            progress=case_done,
            environments=self.environments,
        )
        self._set(Stage.TESTING, f"replaying {incumbent.id} on {len(cases)} cases", 0, total)
        incumbent_run = await replayer.run(incumbent, cases)
        result["incumbent_replay"] = incumbent_run.summary()
        result["outcomes"] = {incumbent.id: incumbent_run.rows()}
        tested: list[tuple[ReplayRun, PromotionDecision]] = []
        for challenger in candidates:
            run = await replayer.run(challenger, cases)
            decision = decide(incumbent_run, run, alpha=self.alpha)
            tested.append((run, decision))
            result["outcomes"][challenger.id] = run.rows()
            result["challengers"].append(
                {
                    **run.summary(),
                    "note": challenger.note,
                    "promote": decision.promote,
                    "decision": decision.evidence(),
                }
            )

        winners = [(run, d) for run, d in tested if d.promote]
        if not self.dry_run:
            await record_replay(
                self.store,
                incumbent,
                {
                    "cases_replayed": result["cases"],
                    **({"recorded": result["recorded"]} if "recorded" in result else {}),
                    "incumbent_replay": result["incumbent_replay"],
                    "outcomes": result["outcomes"],
                    "challengers": [
                        {
                            **{k: c[k] for k in ("variant", "note", "fixed", "cases", "promote")},
                            "wins": c["decision"]["wins"],
                            "losses": c["decision"]["losses"],
                            "definition": run.variant.to_payload(),
                        }
                        for c, (run, _) in zip(result["challengers"], tested, strict=True)
                    ],
                },
            )
        if not winners:
            return result
        run, decision = min(
            winners, key=lambda w: (w[1].p_value, w[0].median_seconds_to_fix or float("inf"))
        )
        self._set(Stage.DEPLOYING, f"promoting {run.variant.id}: {decision.reason}")
        result["promoted"] = run.variant.id
        if self.dry_run:
            result["status"] = "would_promote"
            return result
        evidence = {
            **decision.evidence(),
            "alpha": self.alpha,
            "incumbent": incumbent_run.summary(),
            "challenger": run.summary(),
            "cases_replayed": sorted(run.outcomes),
        }
        await record_promotion(self.store, run.variant, incumbent, evidence)
        self._improvements += 1
        self._active = run.variant
        result.update(status="promoted", improvements_applied=1, active_variant=run.variant.id)
        log.info(
            "strategy variant promoted",
            extra={"variant": run.variant.id, "previous": incumbent.id, "reason": decision.reason},
        )
        return result

    def get_evolution_status(self) -> dict[str, Any]:
        return {
            "stage": self._stage.value,
            "improvements_count": self._improvements,
            "rollbacks_count": self._rollbacks,
            "active_variant": self._active.id if self._active else None,
            "last_status": self._last["status"] if self._last else None,
            "last_result": self._last,
        }

    def _set(self, stage: Stage, message: str, done: int = 0, total: int = 0) -> None:
        self._stage = stage
        if self.on_progress is not None:
            self.on_progress(Progress(stage, message, done, total))
