"""Registering the App in a real headless Chromium against a real server: open the setup link,
choose an organisation, press Register — the POST to GitHub is intercepted and answered the way
GitHub does, with a redirect carrying the code — and land on the next step."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import yaml

from app.github.manifest import APP_YML
from app.setup.routes import SetupContext
from tests.api.conftest import GITHUB_SECRET, make_settings
from tests.dashboard.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.github.fake_github import FakeGitHub, generate_private_key, serve
from tests.live_server import LiveServer
from workers.jobs import Router

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="Debian's chromium package is not installed"
)

PUBLIC_URL = "https://kintsugi.example.test"


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(1, generate_private_key()[1])) as fake:
        yield fake


def test_a_new_user_registers_the_app_with_clicks_only(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    from playwright.sync_api import Route, expect, sync_playwright

    settings = make_settings(
        f"sqlite:///{tmp_path / 'kintsugi.db'}", github_api_url=fake_github.url
    )
    env_file = tmp_path / ".env"
    context = SetupContext(settings, env_file)
    posted: list[dict[str, Any]] = []

    def github_registration_page(route: Route) -> None:
        request = route.request
        form = parse_qs(request.post_data or "")
        manifest = json.loads(form["manifest"][0])
        posted.append({"url": request.url, "method": request.method, "manifest": manifest})
        # The user names the App on GitHub and presses Create; GitHub redirects back.
        code = fake_github.create_app_from_manifest(manifest, "acme", organisation=True)
        state = parse_qs(urlsplit(request.url).query)["state"][0]
        back = f"{manifest['redirect_url']}?{urlencode({'code': code, 'state': state})}"
        route.fulfill(status=302, headers={"Location": back})

    with LiveServer(settings, Router(), setup=context) as live, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.route("https://github.com/**", github_registration_page)

        page.goto(context.page_url(live.url))
        expect(page.locator("h1")).to_have_text("Register Kintsugi on GitHub")
        page.check("#organisation")
        page.fill("#organisation-name", "acme")
        page.fill("#public-url", PUBLIC_URL)
        page.click("button:text('Continue')")
        expect(page.locator("main table")).to_contain_text(f"{PUBLIC_URL}/webhooks/github")
        page.screenshot(path=tmp_path / "manifest.png", full_page=True)
        page.click("button:text('Register on GitHub')")
        expect(page.locator("h1")).to_have_text("Kintsugi is registered")
        install = page.locator("#install").get_attribute("href")
        registered_text = page.locator("main").text_content()
        page.screenshot(path=tmp_path / "registered.png", full_page=True)
        browser.close()

    (sent,) = posted
    assert sent["method"] == "POST"
    assert sent["url"].startswith("https://github.com/organizations/acme/settings/apps/new?state=")
    declared = yaml.safe_load(APP_YML.read_text())
    assert sent["manifest"]["hook_attributes"]["url"] == f"{PUBLIC_URL}/webhooks/github"
    assert sent["manifest"]["redirect_url"] == f"{live.url}/setup/callback"
    assert sent["manifest"]["default_permissions"] == declared["default_permissions"]
    assert sent["manifest"]["default_events"] == declared["default_events"]
    assert sent["manifest"]["public"] is False
    app = fake_github.registered_app
    assert app is not None
    assert install == f"{app['html_url']}/installations/new"
    assert f"GITHUB_APP_ID={app['id']}" in env_file.read_text()
    # The server's webhook secret was kept and given to the App, so its deliveries verify.
    assert fake_github.webhook_secret == GITHUB_SECRET
    assert registered_text is not None and "still signs webhooks" not in registered_text
    assert problems == []
