"""The LLM strategy as live healing wires it is shown the fixes maintainers merged for similar
incidents of the same repository, remembered from the event log; rejected fixes and other
repositories' fixes never reach the prompt (the LLM is faked at the HTTP boundary)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import respx
from sqlalchemy.ext.asyncio import AsyncEngine

from app.data.fix_memory_log import FixMemoryFromLog, outcome_log
from app.events.model import Event, EventType
from app.events.sql import SqlEventStore
from app.evolution.variant import default_variant
from app.evolution.wiring import strategies_for
from app.healing.incidents.model import ExceptionInfo, Frame, Incident, IncidentSource
from tests.healing.test_llm_strategy import (
    ENDPOINT,
    context_for,
    fake_llm,
    gateway_incident,
    gateway_repo,
    provider,
    reply,
    sent_messages,
)

__all__ = ["fake_llm", "gateway_repo"]

MERGED = "+    amount = payment.get('amount', 0)  # merged-example"
REJECTED = "+    raise SystemExit  # rejected-example"
ELSEWHERE = "+    amount = refund.get('amount', 0)  # another-repository"


async def record(
    store: SqlEventStore, case_id: str, diff: str, outcome: EventType, repository: str
) -> None:
    """A past case as the pipeline, the fix pull request and the feedback record it: a
    KeyError for a missing amount in the gateway's refund."""
    incident = Incident(
        IncidentSource.SENTRY,
        (
            ExceptionInfo(
                "KeyError",
                "'amount'",
                (Frame("/srv/pay/gateway.py", "refund", 12, context_line='payment["amount"]'),),
            ),
        ),
    )
    facts = {"case_id": case_id, "fingerprint": f"fp-{case_id}", "repository": repository}
    stream = f"healing-fp-{case_id}"
    data = json.loads(json.dumps(asdict(incident)))
    events = [
        (EventType.HEALING_CASE_OPENED, {"incident_data": data}),
        (EventType.HEALING_FIX_VALIDATED, {"diff": diff, "strategy": "template"}),
        (outcome, {}),
    ]
    for kind, payload in events:
        await store.append(stream, Event(type=kind, source="tests", payload={**facts, **payload}))


async def test_the_live_llm_strategy_is_shown_merged_fixes_of_this_repository_from_the_log(
    fake_llm: respx.MockRouter, gateway_repo: Path, sqlite_engine: AsyncEngine
) -> None:
    store = SqlEventStore(sqlite_engine)
    await record(store, "case-1", MERGED, EventType.HEALING_PR_MERGED, "octo/pay")
    await record(store, "case-2", REJECTED, EventType.HEALING_PR_REJECTED, "octo/pay")
    await record(store, "case-3", ELSEWHERE, EventType.HEALING_PR_MERGED, "other/pay")
    route = fake_llm.post(ENDPOINT).mock(return_value=reply("no idea"))
    memory = FixMemoryFromLog(outcome_log(store)).for_repository("octo/pay")

    [llm] = [s for s in strategies_for(default_variant(), provider(), memory) if s.name == "llm"]
    context = context_for(gateway_repo, gateway_incident(gateway_repo))
    async for _ in llm.propose(context):
        break

    prompt = sent_messages(route)[1]["content"]
    assert "Fixes maintainers merged for similar incidents" in prompt
    assert "merged-example" in prompt
    assert "rejected-example" not in prompt and "another-repository" not in prompt


async def test_without_a_fix_memory_the_prompt_has_no_examples(
    fake_llm: respx.MockRouter, gateway_repo: Path
) -> None:
    route = fake_llm.post(ENDPOINT).mock(return_value=reply("no idea"))

    [llm] = [s for s in strategies_for(default_variant(), provider()) if s.name == "llm"]
    async for _ in llm.propose(context_for(gateway_repo, gateway_incident(gateway_repo))):
        break

    assert "Fixes maintainers merged" not in sent_messages(route)[1]["content"]
