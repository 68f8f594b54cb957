"""What the dashboard changes: signing in and out, and handing a dead letter back to the
workers. Every form post carries the session's CSRF token; the cookie is SameSite=Strict."""

from __future__ import annotations

import logging
import uuid
from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from app.api.deps import ServicesDep
from app.dashboard.auth import (
    COOKIE_NAME,
    COOKIE_PATH,
    SESSION_SECONDS,
    DashboardDenied,
    DashboardKey,
    Session,
    dashboard_key,
    require_session,
)
from app.dashboard.rendering import STATIC, DashboardRoute, render

log = logging.getLogger(__name__)

SessionDep = Annotated[Session, Depends(require_session)]
KeyDep = Annotated[DashboardKey, Depends(dashboard_key)]
MAX_FORM_BYTES = 16 * 1024
STATIC_TYPES = {
    "dashboard.css": "text/css",
    "live.js": "text/javascript",
    "favicon.svg": "image/svg+xml",
}

router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)


@router.get("/login")
async def login_page(request: Request, key: KeyDep) -> HTMLResponse:
    return render(request, "login.html", title="Sign in", message=None)


@router.post("/login")
async def login(request: Request, key: KeyDep) -> Response:
    form = await _form(request)
    if not key.token_matches(form.get("token", "")):
        log.warning("dashboard sign-in refused", extra={"client": _client(request)})
        raise DashboardDenied(401, "That token is not right.")
    log.info("dashboard sign-in", extra={"client": _client(request)})
    response = RedirectResponse("/dashboard", status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        key.new_cookie(),
        max_age=SESSION_SECONDS,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep, key: KeyDep) -> Response:
    await _checked_form(request, session, key)
    response = RedirectResponse("/dashboard/login", status_code=303)
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, httponly=True, samesite="strict")
    return response


@router.post("/dead-letters/{event_id}/retry")
async def retry_dead_letter(
    request: Request, event_id: str, services: ServicesDep, session: SessionDep, key: KeyDep
) -> Response:
    """Give a dead-lettered event a new round of tries, as `kintsugi events dead-letters
    --retry` does, and nudge the relay so it is enqueued now rather than at the next poll."""
    await _checked_form(request, session, key)
    try:
        revived = await services.store.outbox_revive(uuid.UUID(event_id))
    except ValueError:
        raise DashboardDenied(404, f"No event {event_id} is stored.") from None
    if revived:
        services.relay.nudge()
        log.info("dead letter retried from the dashboard", extra={"event_id": event_id})
    query = urlencode({"revived" if revived else "not_dead": event_id})
    return RedirectResponse(f"/dashboard/dead-letters?{query}", status_code=303)


@router.get("/static/{name}")
async def static_file(name: str) -> Response:
    media_type = STATIC_TYPES.get(name)
    if media_type is None:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response(
        (STATIC / name).read_bytes(),
        media_type=media_type,
        headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


async def _form(request: Request) -> dict[str, str]:
    """The urlencoded form body (the dashboard's forms send nothing else)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise DashboardDenied(413, "That form is too large.")
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


async def _checked_form(request: Request, session: Session, key: DashboardKey) -> dict[str, str]:
    form = await _form(request)
    if not key.csrf_valid(session, form.get("csrf")):
        log.warning("dashboard form without a valid CSRF token", extra={"client": _client(request)})
        raise DashboardDenied(403, "This form has expired. Reload the page and try again.")
    return form


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None
