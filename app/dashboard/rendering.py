"""Turning dashboard views into HTML: the Jinja2 templates (autoescaped), the security headers
every page carries, and the route class that turns a denial into its page."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from app.dashboard.auth import DashboardDenied, DashboardKey, Session

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

SECTIONS = (
    ("/dashboard", "Overview"),
    ("/dashboard/events", "Events"),
    ("/dashboard/dead-letters", "Dead letters"),
    ("/dashboard/installations", "Installations"),
    ("/dashboard/healing", "Healing"),
    ("/dashboard/evolution", "Evolution"),
    ("/dashboard/functions", "Functions"),
)

# Only our own files; no inline script or style, so injected markup could not run anyway.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@lru_cache
def templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["pretty_json"] = lambda value: json.dumps(
        value, indent=2, sort_keys=True, default=str, ensure_ascii=False
    )
    environment.filters["when"] = lambda value: (
        value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "—"
    )
    environment.filters["ms"] = lambda value: "—" if value is None else f"{value:,.1f} ms"
    return environment


def render(
    request: Request,
    template: str,
    *,
    status_code: int = 200,
    session: Session | None = None,
    key: DashboardKey | None = None,
    **context: Any,
) -> HTMLResponse:
    csrf = key.csrf_token(session) if key is not None and session is not None else ""
    html = (
        templates()
        .get_template(template)
        .render(
            path=request.url.path,
            sections=SECTIONS,
            signed_in=session is not None,
            csrf=csrf,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def denial_page(request: Request, denied: DashboardDenied) -> HTMLResponse:
    if denied.status == 401:
        response = render(
            request, "login.html", status_code=401, title="Sign in", message=denied.message
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="kintsugi-dashboard"'
        return response
    return render(
        request,
        "message.html",
        status_code=denied.status,
        title="Dashboard",
        message=denied.message,
    )


class DashboardRoute(APIRoute):
    """A route whose `DashboardDenied` (raised by a dependency or the handler) becomes its page
    instead of a JSON error."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except DashboardDenied as denied:
                return denial_page(request, denied)

        return guarded
