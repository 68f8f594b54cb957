"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app.api.deps import ServicesDep
from app.events.store import OutboxStatus
from app.observability import EVENTS_STORED, OUTBOX_LAG, OUTBOX_PENDING, QUEUE_DEPTH

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving requests."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(services: ServicesDep) -> JSONResponse:
    """The database and the queue answer and untrusted code has its sandbox; 503 names what
    does not (a queue down while Redis is: webhooks are still stored, and handed over once it
    is back; no sandbox: webhooks are stored, but nothing is healed or run)."""
    checks: dict[str, str] = {}
    try:
        async with services.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:
        checks["database"] = f"unreachable: {type(error).__name__}"
    checks["queue"] = await services.queue_state()
    # A degraded sandbox was opted into (development only): it serves, but shows.
    checks["sandbox"] = services.sandbox_state()
    ready = checks["database"] == checks["queue"] == "ok" and services.sandbox is not None
    body = {
        "status": "ready" if ready else "not ready",
        "queue_backend": services.queue_kind,
        **checks,
    }
    return JSONResponse(body, status_code=200 if ready else 503)


@router.get("/metrics")
async def metrics(services: ServicesDep) -> Response:
    depth = await services.queue_depth()
    if depth is not None:
        QUEUE_DEPTH.set(depth)
    store = services.store
    OUTBOX_PENDING.set((await store.outbox_counts()).get(OutboxStatus.PENDING, 0))
    oldest = await store.outbox_pending(limit=1)
    lag = (datetime.now(UTC) - oldest[0].updated_at).total_seconds() if oldest else 0.0
    OUTBOX_LAG.set(max(lag, 0.0))
    for event_type, count in (await store.count_by_type()).items():
        EVENTS_STORED.labels(event_type).set(count)
    body = generate_latest() + generate_latest(services.metrics)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
