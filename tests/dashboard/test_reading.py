"""The dashboard's projections read the log through the data layer: the latest events of their
types, in log order, in one select."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event as sa_event

from app.dashboard.projections import HEALING_EVENT_TYPES, project_healing_cases
from app.dashboard.reading import event_log, events_of_types
from app.services import Services
from tests.dashboard.conftest import store_event


async def test_projections_fold_the_latest_events_of_their_types_read_in_one_select(
    services: Services,
) -> None:
    for n in range(4):
        await store_event(services, "healing.case_opened", {"case_id": f"case-{n}"})
        await store_event(services, "function.invoked", {"function": "greet"})
    selects: list[str] = []

    def record(*args: Any) -> None:
        selects.append(args[2])

    sa_event.listen(services.engine.sync_engine, "before_cursor_execute", record)
    events = await events_of_types(event_log(services.engine), HEALING_EVENT_TYPES, limit=3)
    sa_event.remove(services.engine.sync_engine, "before_cursor_execute", record)

    assert [e.payload["case_id"] for e in events] == ["case-1", "case-2", "case-3"]
    assert events == (await services.store.read_all(types=list(HEALING_EVENT_TYPES)))[-3:]
    assert len(selects) == 1
    cases = project_healing_cases(events)
    assert [case.case_id for case in cases] == ["case-3", "case-2", "case-1"]
