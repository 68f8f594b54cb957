"""`/evolve`'s strategy replay: the repository's own recorded cases, checked out at their
commits through the App, healed by the active variant and a challenger in the sandbox."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from app.environments.cache import EnvironmentCache
from app.events.store import EventStore
from app.evolution.evolver import SelfEvolvingAI
from app.evolution.recorded import RecordedSource
from app.github.client import GitHubApp
from app.github.replay_checkouts import InstallationCheckouts
from app.healing.candidate_search import Budget
from app.healing.runner import CommandRunner

log = logging.getLogger(__name__)


class RepositoryReplay:
    """Replays one repository's newest recorded cases (at most `max_cases`) within `seconds`.

    The same run as the nightly one, with the corpus left out: the promotion rule, the audit
    event and any promotion are recorded as usual."""

    def __init__(
        self,
        github: GitHubApp,
        store: EventStore,
        *,
        runner: CommandRunner | None = None,
        max_cases: int = 5,
        seconds: float = 120.0,
        case_budget: Budget | None = None,
        scratch_root: Path | None = None,
        environments: EnvironmentCache | None = None,
    ) -> None:
        self.github = github
        self.store = store
        self.runner = runner
        self.max_cases = max_cases
        self.seconds = seconds
        self.case_budget = case_budget or Budget(seconds=60.0, parallel=1, run_timeout=30.0)
        self.scratch_root = scratch_root
        self.environments = environments

    async def replay(self, installation_id: int, repository: str, clone_url: str) -> str:
        if self.max_cases <= 0:
            return "Strategy replay of recorded cases is turned off (`EVOLUTION_RECORDED_CASES=0`)."
        checkouts = InstallationCheckouts(self.github, installation_id, {repository: clone_url})
        source = RecordedSource(
            checkouts,
            repository=repository,
            max_cases=self.max_cases,
            scratch_root=self.scratch_root,
        )
        evolver = SelfEvolvingAI(
            store=self.store,
            corpus=[],
            sample_size=0,
            challengers=1,
            budget_seconds=self.seconds,
            case_budget=self.case_budget,
            runner=self.runner,
            parallel_cases=1,
            recorded=source,
            environments=self.environments,
        )
        try:
            result = await evolver.evolve()
        except Exception as error:  # the improvements already stand; say what went wrong
            log.exception("recorded-case replay failed", extra={"repository": repository})
            return f"Replaying this repository's recorded cases failed: {str(error)[:300]}"
        return replay_text(result, self.max_cases)


def _fixed(rows: dict[str, dict[str, Any]]) -> str:
    fixed = sum(bool(row["fixed"]) for row in rows.values())
    known = [row["agrees"] for row in rows.values() if row["agrees"] is not None]
    agreement = (
        f", agreeing with the merged fix in {sum(known)} of {len(known)}"
        if known
        else ", no merged fix to compare with"
    )
    seconds = [row["seconds"] for row in rows.values() if row["fixed"]]
    median = sorted(seconds)[len(seconds) // 2] if seconds else None
    timing = f", median {median:.1f} s to fix" if median is not None else ""
    return f"fixed {fixed} of {len(rows)}{agreement}{timing}"


def replay_text(result: dict[str, Any], max_cases: int) -> str:
    """The reply's paragraph on the replay: what was replayed, skipped, and decided."""
    recorded = result.get("recorded") or {}
    skipped = recorded.get("skip_reasons") or {}
    skips = "".join(f"\n- skipped `{name}`: {why}" for name, why in skipped.items())
    if result["status"] == "rolled_back":
        reason = (result.get("rollback") or {}).get("reason", "")
        return f"Strategy replay: the active variant was rolled back first ({reason})."
    if result["status"] == "no_cases":
        return (
            "Strategy replay: no recorded case of this repository could be replayed "
            f"(cases are recorded by `/heal`, Sentry and CI healing).{skips}"
        )
    lines = [
        f"Strategy replay of this repository's {recorded.get('replayed', 0)} newest recorded "
        f"case(s) (at most {max_cases}), each at its recorded commit, in the sandbox:"
    ]
    outcomes = result.get("outcomes", {})
    incumbent = result["incumbent"]
    if incumbent in outcomes:
        lines.append(f"- active `{incumbent}`: {_fixed(outcomes[incumbent])}")
    for challenger in result.get("challengers", []):
        rows = outcomes.get(challenger["variant"], {})
        verdict = "promoted" if challenger["promote"] else "not better: kept the active variant"
        lines.append(
            f"- challenger `{challenger['variant']}` ({challenger['note']}): {_fixed(rows)}; "
            f"{verdict}"
        )
    return "\n".join(lines) + skips
