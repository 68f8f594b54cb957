"""Only holders of the admin token see the dashboard; the cookie proves the token without
containing it, and forms need the session's CSRF token."""

from __future__ import annotations

from pathlib import Path

import httpx

from app.dashboard.auth import COOKIE_NAME, SESSION_SECONDS, DashboardKey
from app.main import create_app
from app.services import Services, open_services
from tests.api.conftest import make_settings
from tests.dashboard.conftest import BASE_URL, TOKEN, csrf_of, dead_letter
from workers.jobs import Router


async def test_without_a_configured_token_the_dashboard_is_off(tmp_path: Path) -> None:
    services = await open_services(make_settings(f"sqlite:///{tmp_path / 'k.db'}"), router=Router())
    app = create_app(services.settings, services=services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        page = await c.get("/dashboard")
        login = await c.post("/dashboard/login", data={"token": ""})
    await services.close()
    assert page.status_code == 404
    assert "The dashboard is disabled. Set DASHBOARD_TOKEN" in page.text
    assert login.status_code == 404


async def test_no_token_is_answered_with_the_sign_in_page(client: httpx.AsyncClient) -> None:
    for path in ("/dashboard", "/dashboard/events", "/dashboard/api/events", "/dashboard/healing"):
        response = await client.get(path)
        assert response.status_code == 401, path
        assert response.headers["www-authenticate"].startswith("Bearer")
    page = await client.get("/dashboard")
    assert '<form method="post" action="/dashboard/login"' in page.text
    assert "Events by type" not in page.text


async def test_wrong_token_is_refused_by_form_and_by_bearer(client: httpx.AsyncClient) -> None:
    by_form = await client.post("/dashboard/login", data={"token": TOKEN + "x"})
    assert by_form.status_code == 401
    assert "That token is not right." in by_form.text
    assert COOKIE_NAME not in by_form.headers.get("set-cookie", "")
    by_bearer = await client.get("/dashboard", headers={"Authorization": f"Bearer {TOKEN[:-1]}"})
    assert by_bearer.status_code == 401
    client.cookies.set(COOKIE_NAME, f"99.{'a' * 22}.{'0' * 64}", domain="kintsugi.test")
    assert (await client.get("/dashboard")).status_code == 401


async def test_right_token_by_bearer_shows_the_overview(client: httpx.AsyncClient) -> None:
    response = await client.get("/dashboard", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "Events by type" in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_signing_in_sets_a_strict_http_only_cookie_that_is_not_the_token(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/dashboard/login", data={"token": TOKEN})
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    set_cookie = response.headers["set-cookie"]
    assert "HttpOnly" in set_cookie
    assert "SameSite=strict" in set_cookie
    assert "Path=/dashboard" in set_cookie
    cookie = client.cookies[COOKIE_NAME]
    assert TOKEN not in cookie
    assert DashboardKey(TOKEN).session_from_cookie(cookie) is not None
    # Signed with another token, the same cookie proves nothing.
    assert DashboardKey(TOKEN + "-rotated").session_from_cookie(cookie) is None
    assert (await client.get("/dashboard")).status_code == 200


def test_sessions_expire() -> None:
    key = DashboardKey(TOKEN)
    cookie = key.new_cookie(now=1_000_000)
    assert key.session_from_cookie(cookie, now=1_000_000 + SESSION_SECONDS - 1) is not None
    assert key.session_from_cookie(cookie, now=1_000_000 + SESSION_SECONDS + 1) is None


async def test_a_form_post_without_the_session_csrf_token_is_refused(
    signed_in: httpx.AsyncClient, services: Services
) -> None:
    event = await dead_letter(services)
    url = f"/dashboard/dead-letters/{event.id}/retry"
    assert (await signed_in.post(url, data={})).status_code == 403
    assert (await signed_in.post(url, data={"csrf": "0" * 64})).status_code == 403
    key = DashboardKey(TOKEN)
    other_session = key.session_from_cookie(key.new_cookie())
    assert other_session is not None
    other_csrf = key.csrf_token(other_session)
    assert (await signed_in.post(url, data={"csrf": other_csrf})).status_code == 403
    entry = await services.store.outbox_get(event.id)
    assert entry is not None and entry.status == "dead"


async def test_signing_out_ends_the_session(signed_in: httpx.AsyncClient) -> None:
    page = await signed_in.get("/dashboard")
    response = await signed_in.post("/dashboard/logout", data={"csrf": csrf_of(page.text)})
    assert response.status_code == 303
    assert (await signed_in.get("/dashboard")).status_code == 401
