"""The dashboard in a real headless Chromium against a real uvicorn server: sign in through the
form, watch an event arrive live, open it, retry a dead letter — with real clicks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import make_settings
from tests.conftest import CORPUS
from tests.dashboard.conftest import TOKEN, Outage
from tests.live_server import LiveServer
from workers.jobs import Router

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="Debian's chromium package is not installed"
)


@pytest.fixture
def live(tmp_path: Path, outage: Outage) -> Iterator[LiveServer]:
    settings = make_settings(f"sqlite:///{tmp_path / 'kintsugi.db'}", dashboard_token=TOKEN)
    router = Router()
    router.on("github.issues.opened", outage.handle)
    with LiveServer(settings, router) as server:
        yield server


def test_operator_signs_in_watches_events_and_retries_a_dead_letter(
    live: LiveServer, outage: Outage, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    webhooks = CORPUS / "github-webhooks"
    live.github_webhook(
        "installation", (webhooks / "installation/created.payload.json").read_bytes()
    )
    doomed = live.github_webhook("issues", json.dumps({"action": "opened", "issue": {}}).encode())

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))

        # Not signed in: the sign-in form. A wrong token is refused.
        page.goto(f"{live.url}/dashboard")
        page.fill("#token", "not-the-token")
        page.click("button:text('Sign in')")
        expect(page.locator("[role=alert]")).to_have_text("That token is not right.")
        page.fill("#token", TOKEN)
        page.click("button:text('Sign in')")
        expect(page.locator("h1")).to_have_text("Overview")
        expect(page.locator("body")).to_contain_text("github.installation.created")
        assert page.evaluate("document.cookie") == ""  # HttpOnly: scripts never see it
        page.screenshot(path=tmp_path / "overview.png", full_page=True)

        # Recent events update live: a webhook stored now shows up without a reload.
        page.click("nav >> text=Events")
        expect(page.locator("#events")).to_contain_text("github.installation.created")
        live.github_webhook("ping", (webhooks / "ping/payload.json").read_bytes())
        expect(page.locator("#events tbody tr").first).to_contain_text("github.ping", timeout=8000)
        page.screenshot(path=tmp_path / "events.png", full_page=True)

        # Opening an event shows its payload.
        page.click("#events >> text=github.installation.created")
        expect(page.locator("#payload")).to_contain_text('"login": "Codertocat"')

        # The dead letter: fix the cause, press Retry, and the workers handle it.
        page.click("nav >> text=Dead letters")
        expect(page.locator("main table")).to_contain_text("the downstream service is broken")
        page.screenshot(path=tmp_path / "dead-letters.png", full_page=True)
        outage.broken = False
        page.click("button:text('Retry')")
        expect(page.locator("[role=status]")).to_contain_text("handed back to the workers")
        expect(page.locator("main")).to_contain_text("No dead letters")
        page.screenshot(path=tmp_path / "retried.png", full_page=True)

        browser.close()

    assert [str(event_id) for event_id in outage.handled] == [doomed]
    # Chromium reports each 401 sign-in page as a failed load; anything else (a script error, a
    # Content-Security-Policy violation) is a real problem.
    expected = "the server responded with a status of 401"
    assert [problem for problem in problems if expected not in problem] == []
