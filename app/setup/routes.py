"""The pages that register the GitHub App from its manifest: choose the owner, post the
manifest to GitHub, and take GitHub's redirect back with the one-time code."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jinja2
from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from app.errors import ConfigurationError, ConflictError, KintsugiError
from app.github.manifest import app_manifest, base_url, organisation_login, registration_url
from app.github.registration import ManifestCodeRejected, convert_manifest_code
from app.settings import Settings
from app.setup.saving import SavedApp, configured_app, save_registration
from app.setup.states import STATE_SECONDS, SetupGate

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parents[1] / "dashboard" / "static"
STATIC_TYPES = {"dashboard.css": "text/css", "favicon.svg": "image/svg+xml"}
MAX_FORM_BYTES = 8 * 1024

router = APIRouter(prefix="/setup", include_in_schema=False)


@dataclass
class SetupContext:
    """What the setup pages need, kept on `app.state.setup` by whoever serves them."""

    settings: Settings
    env_file: Path
    gate: SetupGate = field(default_factory=SetupGate)
    transport: httpx.AsyncBaseTransport | None = None  # GitHub's API; tests pass a fake
    on_registered: Callable[[SavedApp], None] | None = None
    restarts: bool = False  # the server restarts itself once the App is registered
    registered: SavedApp | None = None

    def page_url(self, base: str) -> str:
        return f"{base.rstrip('/')}/setup?token={self.gate.token}"

    def blocking_setting(self) -> str | None:
        if self.registered is not None:
            return "GITHUB_APP_ID"
        return configured_app(self.settings, self.env_file)


@lru_cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _render(context: SetupContext, template: str, status: int = 200, **values: Any) -> Response:
    html = _templates().get_template(template).render(**values)
    github = urlsplit(context.settings.github_url)
    headers = {
        # The one form that leaves this server goes to GitHub's registration page.
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'self'; img-src 'self'; "
            f"form-action 'self' {github.scheme}://{github.netloc}; frame-ancestors 'none'; "
            "base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        # The page's address carries the setup token; GitHub need not see it.
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(html, status_code=status, headers=headers)


def _message(
    context: SetupContext, status: int, message: str, hint: str = "", *, error: bool = True
) -> Response:
    title = "Register Kintsugi on GitHub"
    return _render(
        context, "message.html", status, title=title, message=message, hint=hint, error=error
    )


def _context(request: Request) -> SetupContext:
    context: SetupContext = request.app.state.setup
    return context


def _already_configured(context: SetupContext) -> Response | None:
    setting = context.blocking_setting()
    if setting is None:
        return None
    return _message(
        context,
        409,
        f"A GitHub App is configured already ({setting} is set).",
        f"To register another, remove the GitHub App settings from {context.env_file} "
        "and restart the server.",
        error=False,
    )


def _bad_token(context: SetupContext) -> Response:
    return _message(
        context,
        403,
        "This page needs the setup link Kintsugi printed when it started.",
        "Open the address with ?token=… from the output of `kintsugi serve` or `kintsugi setup`.",
    )


@router.get("")
async def start(request: Request, token: str = "") -> Response:
    context = _context(request)
    blocked = _already_configured(context)
    if blocked is not None:
        return blocked
    if not context.gate.token_matches(token):
        return _bad_token(context)
    return _start_page(context, token)


def _start_page(context: SetupContext, token: str, message: str = "", **form: str) -> Response:
    return _render(
        context,
        "start.html",
        400 if message else 200,
        title="Register Kintsugi on GitHub",
        token=token,
        message=message,
        account=form.get("account", "personal"),
        organisation=form.get("organisation", ""),
        public_url=form.get("public_url", context.settings.public_url or ""),
        env_file=str(context.env_file.resolve()),
        github_url=context.settings.github_url,
    )


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[0].strip() for name, values in fields.items()}


@router.post("/manifest")
async def manifest(request: Request) -> Response:
    context = _context(request)
    blocked = _already_configured(context)
    if blocked is not None:
        return blocked
    form = await _form(request)
    token = form.get("token", "")
    if not context.gate.token_matches(token):
        return _bad_token(context)
    organisation = form.get("organisation", "") if form.get("account") == "organisation" else ""
    try:
        if form.get("account") == "organisation":
            organisation = organisation_login(organisation)
        public_url = base_url(form.get("public_url", ""), "The public address")
        built = app_manifest(public_url, str(request.base_url))
        action = registration_url(
            context.settings.github_url, context.gate.new_state(), organisation or None
        )
    except ConfigurationError as error:
        return _start_page(
            context,
            token,
            str(error),
            account=form.get("account", "personal"),
            organisation=form.get("organisation", ""),
            public_url=form.get("public_url", ""),
        )
    return _render(
        context,
        "manifest.html",
        title="Register Kintsugi on GitHub",
        manifest=built,
        manifest_json=json.dumps(built),
        action=action,
        owner=f"the organisation {organisation}" if organisation else "your personal account",
        minutes=STATE_SECONDS // 60,
    )


@router.get("/callback")
async def callback(request: Request, code: str = "", state: str = "") -> Response:
    context = _context(request)
    if not context.gate.redeem(state):
        log.warning("App registration redirect with an unknown or expired state")
        return _message(
            context,
            400,
            "This registration did not start here, was completed already, or took longer than "
            f"{STATE_SECONDS // 60} minutes.",
            "Nothing was saved. If GitHub created an App, delete it in its settings, then open "
            "the setup link again.",
        )
    blocked = _already_configured(context)
    if blocked is not None:
        return blocked
    if not code:
        return _message(context, 400, "GitHub sent no registration code.", "Start again.")
    try:
        registered = await convert_manifest_code(
            code, api_url=context.settings.github_api_url, transport=context.transport
        )
        saved = await save_registration(
            registered, context.settings, context.env_file, transport=context.transport
        )
    except ManifestCodeRejected as error:
        return _message(context, 400, str(error))
    except ConflictError as error:
        return _message(context, 409, str(error))
    except KintsugiError as error:
        log.warning("App registration failed", extra={"error": str(error)})
        return _message(context, 502, f"The App could not be registered: {error}")
    except OSError as error:
        log.error("App settings could not be written", extra={"error": str(error)})
        return _message(
            context,
            500,
            f"GitHub registered the App but its settings could not be written: {error}.",
            "Delete the App in its settings on GitHub, fix the cause, and start again.",
        )
    context.registered = saved
    if context.on_registered is not None:
        context.on_registered(saved)
    return _render(
        context,
        "done.html",
        title="Kintsugi is registered",
        saved=saved,
        restarting=context.restarts,
    )


@router.get("/static/{name}")
async def static_file(name: str) -> Response:
    media_type = STATIC_TYPES.get(name)
    if media_type is None:
        return Response("not found", status_code=404, media_type="text/plain")
    return Response((STATIC / name).read_bytes(), media_type=media_type)
