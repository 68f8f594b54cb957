"""The dashboard's read-only pages: overview, events (live), one event, dead letters,
installations, healing cases, evolution and function metrics."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from app.api.deps import ServicesDep
from app.dashboard.auth import (
    DashboardDenied,
    DashboardKey,
    Session,
    dashboard_key,
    require_session,
)
from app.dashboard.installations import INSTALLATION_EVENT_TYPES, project_installations
from app.dashboard.projections import (
    EVOLUTION_EVENT_TYPES,
    FUNCTION_EVENT_TYPES,
    HEALING_EVENT_TYPES,
    project_evolution,
    project_function_metrics,
    project_healing_cases,
)
from app.dashboard.reading import event_log, events_of_types, recent_events
from app.dashboard.rendering import SECURITY_HEADERS, DashboardRoute, render
from app.events.model import Event
from app.events.store import OutboxStatus
from app.settings import Settings
from app.telemetry import Scrubber, configured_secrets

SessionDep = Annotated[Session, Depends(require_session)]
KeyDep = Annotated[DashboardKey, Depends(dashboard_key)]

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)


@router.get("")
async def overview(
    request: Request, services: ServicesDep, session: SessionDep, key: KeyDep
) -> HTMLResponse:
    counts = await services.store.count_by_type()
    outbox = {status.value: n for status, n in (await services.store.outbox_counts()).items()}
    return render(
        request,
        "overview.html",
        session=session,
        key=key,
        title="Overview",
        counts=counts,
        total=sum(counts.values()),
        outbox={status.value: outbox.get(status.value, 0) for status in OutboxStatus},
        queue_backend=services.queue_kind,
        queue_state=await services.queue_state(),
        queue_depth=await services.queue_depth(),
        database=services.engine.dialect.name,
    )


@router.get("/events")
async def events_page(
    request: Request, services: ServicesDep, session: SessionDep, key: KeyDep
) -> HTMLResponse:
    events = await recent_events(services.store, limit=50)
    return render(
        request,
        "events.html",
        session=session,
        key=key,
        title="Recent events",
        events=list(reversed(events)),
        last_position=max((e.position or 0 for e in events), default=0),
    )


@router.get("/api/events")
async def events_feed(
    services: ServicesDep,
    session: SessionDep,
    after: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """Events after position `after`, oldest first: what the events page polls every 2 s."""
    events = await recent_events(services.store, limit=100, after=after)
    return JSONResponse([_summary(event) for event in events], headers=SECURITY_HEADERS)


@router.get("/events/{event_id}")
async def event_page(
    request: Request, event_id: str, services: ServicesDep, session: SessionDep, key: KeyDep
) -> HTMLResponse:
    try:
        event = await services.store.get(uuid.UUID(event_id))
    except ValueError:
        event = None
    if event is None:
        raise DashboardDenied(404, f"No event {event_id} is stored.")
    scrubber = Scrubber(configured_secrets(services.settings))
    return render(
        request,
        "event.html",
        session=session,
        key=key,
        title=event.type,
        event=event,
        metadata=scrubber.scrub(event.metadata.model_dump(mode="json", exclude_none=True)),
        payload=scrubber.scrub(event.payload),
        outbox=await services.store.outbox_get(event.id),
    )


@router.get("/dead-letters")
async def dead_letters_page(
    request: Request,
    services: ServicesDep,
    session: SessionDep,
    key: KeyDep,
    revived: str | None = None,
    not_dead: str | None = None,
) -> HTMLResponse:
    scrubber = Scrubber(configured_secrets(services.settings))
    entries = await services.store.outbox_list(OutboxStatus.DEAD, limit=500)
    return render(
        request,
        "dead_letters.html",
        session=session,
        key=key,
        title="Dead letters",
        entries=[(entry, scrubber.text(entry.last_error or "")) for entry in entries],
        revived=revived,
        not_dead=not_dead,
    )


@router.get("/installations")
async def installations_page(
    request: Request, services: ServicesDep, session: SessionDep, key: KeyDep
) -> HTMLResponse:
    events = await events_of_types(event_log(services.engine), INSTALLATION_EVENT_TYPES)
    return render(
        request,
        "installations.html",
        session=session,
        key=key,
        title="Installations",
        installations=project_installations(events),
    )


@router.get("/healing")
async def healing_page(
    request: Request, services: ServicesDep, session: SessionDep, key: KeyDep
) -> HTMLResponse:
    events = await events_of_types(event_log(services.engine), HEALING_EVENT_TYPES)
    return render(
        request,
        "healing.html",
        session=session,
        key=key,
        title="Healing cases",
        cases=project_healing_cases(_scrubbed(events, services.settings)),
    )


@router.get("/evolution")
async def evolution_page(
    request: Request, services: ServicesDep, session: SessionDep, key: KeyDep
) -> HTMLResponse:
    events = await events_of_types(event_log(services.engine), EVOLUTION_EVENT_TYPES)
    return render(
        request,
        "evolution.html",
        session=session,
        key=key,
        title="Evolution",
        history=project_evolution(_scrubbed(events, services.settings)),
    )


@router.get("/functions")
async def functions_page(
    request: Request, services: ServicesDep, session: SessionDep, key: KeyDep
) -> HTMLResponse:
    events = await events_of_types(event_log(services.engine), FUNCTION_EVENT_TYPES)
    return render(
        request,
        "functions.html",
        session=session,
        key=key,
        title="Function metrics",
        metrics=project_function_metrics(events),
    )


def _scrubbed(events: list[Event], settings: Settings) -> list[Event]:
    scrubber = Scrubber(configured_secrets(settings))
    return [event.model_copy(update={"payload": scrubber.scrub(event.payload)}) for event in events]


def _summary(event: Event) -> dict[str, object]:
    return {
        "position": event.position,
        "id": str(event.id),
        "type": event.type,
        "source": event.source,
        "stream": event.stream,
        "installation_id": event.metadata.installation_id,
        "occurred_at": event.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "url": f"/dashboard/events/{event.id}",
    }
