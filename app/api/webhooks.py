"""POST /webhooks/github and /webhooks/sentry: verify, store with an outbox row, answer 202.
The body arrives through `BodyGuard`: bounded in size, time and unauthenticated memory."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import NoReturn

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from app.api.bodies import body_authenticated
from app.api.deps import WebhookSecrets
from app.events.model import Event
from app.events.store import DuplicateEventError
from app.github.payloads import validate_github_payload
from app.ingest.deliveries import (
    GitHubDelivery,
    MalformedDelivery,
    SentryDelivery,
    github_event,
    sentry_event,
)
from app.ingest.signatures import github_signature_valid, sentry_signature_valid
from app.observability import WEBHOOK_SECONDS, WEBHOOKS
from app.services import Services

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])


# The two webhook routes take only the request and read the services and secrets from the app's
# state themselves: on the hottest path, FastAPI's dependency solving costs more than the reads.


@router.post("/github", status_code=202)
async def github_webhook(request: Request) -> JSONResponse:
    started = time.perf_counter()
    services, secrets = _state(request)
    body = await request.body()
    if not github_signature_valid(secrets.github, body, request.headers.get("x-hub-signature-256")):
        _reject("github", 401, "missing or invalid X-Hub-Signature-256")
    body_authenticated(request)
    delivery = GitHubDelivery(
        event=_required(request, "github", "X-GitHub-Event"),
        delivery_id=request.headers.get("x-github-delivery"),
        hook_id=request.headers.get("x-github-hook-id"),
        body=body,
    )
    return await _accept(
        services, "github", started, lambda: github_event(delivery, validate_github_payload)
    )


@router.post("/sentry", status_code=202)
async def sentry_webhook(request: Request) -> JSONResponse:
    started = time.perf_counter()
    services, secrets = _state(request)
    body = await request.body()
    if not sentry_signature_valid(
        secrets.sentry, body, request.headers.get("sentry-hook-signature")
    ):
        _reject("sentry", 401, "missing or invalid Sentry-Hook-Signature")
    body_authenticated(request)
    delivery = SentryDelivery(
        resource=_required(request, "sentry", "Sentry-Hook-Resource"),
        request_id=request.headers.get("request-id"),
        timestamp=request.headers.get("sentry-hook-timestamp"),
        body=body,
    )
    return await _accept(services, "sentry", started, lambda: sentry_event(delivery))


def _state(request: Request) -> tuple[Services, WebhookSecrets]:
    state = request.app.state
    return state.services, state.secrets


def _required(request: Request, provider: str, header: str) -> str:
    value = request.headers.get(header.lower())
    if not value:
        _reject(provider, 400, f"missing {header} header")
    return value


async def _accept(
    services: Services, provider: str, started: float, build: Callable[[], Event]
) -> JSONResponse:
    """Turn the verified delivery into an event (400 if it cannot be) and store it."""
    try:
        event = build()
    except MalformedDelivery as error:
        _reject(provider, 400, str(error))
    response = await _store(services, event, provider)
    WEBHOOK_SECONDS.labels(provider).observe(time.perf_counter() - started)
    return response


def _reject(provider: str, status: int, detail: str) -> NoReturn:
    WEBHOOKS.labels(provider, "rejected", str(status)).inc()
    raise HTTPException(status_code=status, detail=detail)


async def _store(services: Services, event: Event, provider: str) -> JSONResponse:
    log_extra = {"delivery_id": event.metadata.delivery_id, "type": event.type}
    try:
        (stored,) = await services.store.append(event.stream, event, outbox=True)
    except DuplicateEventError as duplicate:
        WEBHOOKS.labels(provider, event.type, "200").inc()
        log.info("redelivery ignored", extra={**log_extra, "event_id": str(duplicate.existing.id)})
        return JSONResponse(
            {"event_id": str(duplicate.existing.id), "duplicate": True}, status_code=200
        )
    await services.relay.hand_over_new(stored)
    WEBHOOKS.labels(provider, event.type, "202").inc()
    log.info(
        "webhook stored",
        extra={
            **log_extra,
            "event_id": str(stored.id),
            "installation_id": stored.metadata.installation_id,
        },
    )
    return JSONResponse({"event_id": str(stored.id), "position": stored.position}, status_code=202)
