"""POST /webhooks/github and /webhooks/sentry: verify, store with an outbox row, answer 202."""

from __future__ import annotations

import logging
import time
from typing import NoReturn

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse

from app.api.deps import SecretsDep, ServicesDep
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


@router.post("/github", status_code=202)
async def github_webhook(
    request: Request, services: ServicesDep, secrets: SecretsDep
) -> JSONResponse:
    started = time.perf_counter()
    body = await _read_body(request, services.settings.max_webhook_bytes, "github")
    if not github_signature_valid(secrets.github, body, request.headers.get("x-hub-signature-256")):
        _reject("github", 401, "missing or invalid X-Hub-Signature-256")
    name = request.headers.get("x-github-event")
    if not name:
        _reject("github", 400, "missing X-GitHub-Event header")
    delivery = GitHubDelivery(
        event=name,
        delivery_id=request.headers.get("x-github-delivery"),
        hook_id=request.headers.get("x-github-hook-id"),
        body=body,
    )
    try:
        event = github_event(delivery, validate_github_payload)
    except MalformedDelivery as error:
        _reject("github", 400, str(error))
    response = await _store(services, event, "github")
    WEBHOOK_SECONDS.labels("github").observe(time.perf_counter() - started)
    return response


@router.post("/sentry", status_code=202)
async def sentry_webhook(
    request: Request, services: ServicesDep, secrets: SecretsDep
) -> JSONResponse:
    started = time.perf_counter()
    body = await _read_body(request, services.settings.max_webhook_bytes, "sentry")
    if not sentry_signature_valid(
        secrets.sentry, body, request.headers.get("sentry-hook-signature")
    ):
        _reject("sentry", 401, "missing or invalid Sentry-Hook-Signature")
    resource = request.headers.get("sentry-hook-resource")
    if not resource:
        _reject("sentry", 400, "missing Sentry-Hook-Resource header")
    delivery = SentryDelivery(
        resource=resource,
        request_id=request.headers.get("request-id"),
        timestamp=request.headers.get("sentry-hook-timestamp"),
        body=body,
    )
    try:
        event = sentry_event(delivery)
    except MalformedDelivery as error:
        _reject("sentry", 400, str(error))
    response = await _store(services, event, "sentry")
    WEBHOOK_SECONDS.labels("sentry").observe(time.perf_counter() - started)
    return response


async def _read_body(request: Request, limit: int, provider: str) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        _reject(provider, 413, f"payload over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            _reject(provider, 413, f"payload over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


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
    await services.relay.hand_over_new(stored.id)
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
