"""Building recorded healing histories for evolution tests: the events the pipeline and the
GitHub side append, with positions as a store gives them."""

from __future__ import annotations

from typing import Any

from app.events.model import Event, EventType
from app.evolution.variant import StrategyVariant


class Log:
    """An ordered list of events with positions, like a store's `read_all` returns."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._cases = 0

    def add(self, kind: str, payload: dict[str, Any]) -> Event:
        event = Event(type=kind, source="test", payload=payload, position=len(self.events) + 1)
        self.events.append(event)
        return event

    def case(
        self,
        *,
        fixed: bool,
        repository: str = "octo/shop",
        exception: str = "KeyError: 'qty'",
        strategy: str = "template",
        seconds: float = 4.0,
        pull: str | None = None,
        cost: float | None = None,
    ) -> str:
        """One live case; `pull` is None (no PR), "open", "merged", "rejected" or "reverted"."""
        self._cases += 1
        case_id = f"case-{self._cases:04d}"
        fingerprint = f"fp{self._cases:04d}"
        base = {"case_id": case_id, "repository": repository}
        self.add(
            EventType.HEALING_CASE_OPENED,
            {**base, "fingerprint": fingerprint, "incident": exception, "source": "traceback"},
        )
        if cost is not None:
            self.add(EventType.HEALING_CANDIDATE_REJECTED, {**base, "llm_cost_usd": cost})
        if not fixed:
            self.add(EventType.HEALING_FIX_NOT_FOUND, {**base, "fingerprint": fingerprint})
            return case_id
        self.add(
            EventType.HEALING_FIX_VALIDATED,
            {
                **base,
                "fingerprint": fingerprint,
                "strategy": strategy,
                "operator": "op",
                "location": "shop/orders.py:3",
                "diff": "--- a\n+++ b\n",
                "evidence": {"seconds": seconds},
            },
        )
        if pull is not None:
            url = f"https://github.com/{repository}/pull/{self._cases}"
            self.add(EventType.HEALING_PR_OPENED, {**base, "pull_url": url})
            if pull in ("merged", "reverted"):
                # the GitHub side names the pull request and the fix's strategy
                self.add(EventType.HEALING_PR_MERGED, {"pull_url": url, "strategy": strategy})
            if pull == "reverted":
                self.add(EventType.HEALING_PR_REVERTED, {**base, "strategy": strategy})
            elif pull == "rejected":
                self.add(EventType.HEALING_PR_REJECTED, {**base, "strategy": strategy})
        return case_id

    def promotion(
        self, variant: StrategyVariant, previous: StrategyVariant, cases: int, fixed: int
    ) -> Event:
        return self.add(
            EventType.EVOLUTION_VARIANT_PROMOTED,
            {
                "variant": variant.id,
                "previous": previous.id,
                "definition": variant.to_payload(),
                "previous_definition": previous.to_payload(),
                "evidence": {"challenger": {"cases": cases, "fixed": fixed}},
            },
        )
