"""Registering the App from its manifest: the page, the redirect's state, the code exchanged
through githubkit, and what is written to .env and beside it."""

from __future__ import annotations

import logging
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from app.github.auth import app_credentials
from app.github.manifest import APP_YML
from app.github.registration import _HIDE_CODE
from app.settings import Settings
from app.setup.states import STATE_SECONDS
from tests.github.fake_github import FakeGitHub
from tests.github.github_models import shape_errors
from tests.setup.conftest import LOCAL, PUBLIC_URL, Walk, setup_settings

EXISTING = "# my settings\nDATABASE_URL=sqlite:///kintsugi.db\nLOG_LEVEL=DEBUG\nGITHUB_APP_ID=\n"


def read(path: Path) -> str:
    return path.read_text()


def write(path: Path, text: str) -> None:
    path.write_text(text)


def exists(path: Path) -> bool:
    return path.exists()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_manifest_posted_to_github_is_app_yml_pointed_at_this_server(walk: Walk) -> None:
    action, manifest = await walk.to_github()
    declared = yaml.safe_load(APP_YML.read_text())
    assert action.startswith("https://github.com/settings/apps/new?state=")
    assert manifest["hook_attributes"] == {"url": f"{PUBLIC_URL}/webhooks/github", "active": True}
    assert manifest["redirect_url"] == f"{LOCAL}/setup/callback"
    assert manifest["default_permissions"] == declared["default_permissions"]
    assert manifest["default_events"] == declared["default_events"]
    assert (manifest["name"], manifest["url"], manifest["public"]) == (
        declared["name"],
        declared["url"],
        False,
    )


async def test_an_organisation_and_github_enterprise_get_their_own_registration_page(
    walk: Walk, fake_github: FakeGitHub
) -> None:
    walk.context.settings = setup_settings(fake_github, github_url="https://ghe.example.test/")
    action, _ = await walk.to_github(account="organisation", organisation="acme-labs")
    assert urlsplit(action)._replace(query="").geturl() == (
        "https://ghe.example.test/organizations/acme-labs/settings/apps/new"
    )
    refused = await walk.choose(account="organisation", organisation="acme labs/../x")
    assert refused.status_code == 400
    assert "is not a GitHub organisation name" in refused.text


async def test_the_pages_need_the_setup_token(walk: Walk) -> None:
    assert (await walk.start("wrong")).status_code == 403
    assert (await walk.client.get("/setup")).status_code == 403
    assert (await walk.choose(token="wrong")).status_code == 403
    page = await walk.start()
    assert page.status_code == 200
    assert "Register Kintsugi on GitHub" in page.text
    # The one form that leaves the server may go to GitHub, nowhere else.
    assert "form-action 'self' https://github.com;" in page.headers["content-security-policy"]


async def test_registration_fills_env_keeps_its_lines_and_writes_the_key_beside_it(
    walk: Walk, fake_github: FakeGitHub, env_file: Path
) -> None:
    write(env_file, EXISTING)
    done = await walk.back_from_github(fake_github)

    assert done.status_code == 200, done.text
    app = fake_github.registered_app
    assert app is not None
    assert f'href="{app["html_url"]}/installations/new"' in done.text
    text = read(env_file)
    assert text.startswith("# my settings\nDATABASE_URL=sqlite:///kintsugi.db\nLOG_LEVEL=DEBUG\n")
    assert f"GITHUB_APP_ID={app['id']}\n" in text and text.count("GITHUB_APP_ID=") == 1
    assert mode(env_file) == 0o600
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    key_file = settings.github_app_private_key_path
    assert key_file == env_file.parent / f"{app['slug']}.private-key.pem"
    assert key_file.read_text() == fake_github.app_private_key
    assert mode(key_file) == 0o600
    assert settings.github_app_slug == app["slug"]
    assert settings.github_app_client_id == app["client_id"]
    assert settings.github_app_client_secret is not None
    # No secret existed: the one GitHub generated is the one GitHub signs with.
    assert settings.github_webhook_secret is not None
    assert settings.github_webhook_secret.get_secret_value() == fake_github.webhook_secret
    credentials = app_credentials(settings)
    assert credentials is not None and credentials.app_id == app["id"]
    (conversion,) = fake_github.calls("POST", "/app-manifests/")
    assert conversion.auth == "none"
    assert shape_errors("POST", conversion.route, conversion.response) == []


async def test_an_existing_webhook_secret_is_kept_and_given_to_the_app(
    walk: Walk, fake_github: FakeGitHub, env_file: Path
) -> None:
    write(env_file, "GITHUB_WEBHOOK_SECRET=the-server-verifies-with-this\n")
    done = await walk.back_from_github(fake_github)

    assert done.status_code == 200, done.text
    assert fake_github.webhook_secret == "the-server-verifies-with-this"
    assert read(env_file).count("GITHUB_WEBHOOK_SECRET=") == 1
    (patch,) = fake_github.calls("PATCH", "/app/hook/config")
    assert patch.auth == "jwt"  # as the new App, with the key GitHub just handed over


async def test_a_forged_or_expired_state_is_refused_before_any_exchange(
    walk: Walk, fake_github: FakeGitHub, env_file: Path
) -> None:
    action, manifest = await walk.to_github()
    code = fake_github.create_app_from_manifest(manifest)
    forged = await walk.client.get("/setup/callback", params={"code": code, "state": "made-up"})
    assert forged.status_code == 400
    assert "did not start here" in forged.text

    state = parse_qs(urlsplit(action).query)["state"][0]
    issued = walk.context.gate._states[state]
    walk.context.gate.clock = lambda: issued + STATE_SECONDS + 1
    expired = await walk.client.get("/setup/callback", params={"code": code, "state": state})
    assert expired.status_code == 400
    assert fake_github.calls("POST", "/app-manifests/") == []
    assert not exists(env_file)


async def test_a_state_works_once(walk: Walk, fake_github: FakeGitHub, env_file: Path) -> None:
    action, manifest = await walk.to_github()
    state = parse_qs(urlsplit(action).query)["state"][0]
    code = fake_github.create_app_from_manifest(manifest)
    first = await walk.client.get("/setup/callback", params={"code": code, "state": state})
    second = await walk.client.get("/setup/callback", params={"code": code, "state": state})
    assert (first.status_code, second.status_code) == (200, 400)


async def test_a_used_or_expired_code_gets_a_clear_message(
    walk: Walk, fake_github: FakeGitHub, env_file: Path
) -> None:
    action, _ = await walk.to_github()
    state = parse_qs(urlsplit(action).query)["state"][0]
    page = await walk.client.get("/setup/callback", params={"code": "spent", "state": state})
    assert page.status_code == 400
    assert "used already or is older than an hour" in page.text
    assert not exists(env_file)


async def test_a_configured_app_is_never_replaced(
    walk: Walk, fake_github: FakeGitHub, env_file: Path
) -> None:
    action, manifest = await walk.to_github()
    write(env_file, "GITHUB_APP_ID=99\n")  # configured meanwhile, e.g. by hand
    state = parse_qs(urlsplit(action).query)["state"][0]
    code = fake_github.create_app_from_manifest(manifest)
    page = await walk.client.get("/setup/callback", params={"code": code, "state": state})
    assert page.status_code == 409
    assert read(env_file) == "GITHUB_APP_ID=99\n"
    assert fake_github.calls("POST", "/app-manifests/") == []
    assert (await walk.start()).status_code == 409


async def test_no_secret_reaches_the_logs(
    walk: Walk, fake_github: FakeGitHub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    done = await walk.back_from_github(fake_github)
    assert done.status_code == 200
    settings = Settings(_env_file=walk.context.env_file)  # type: ignore[call-arg]
    assert settings.github_app_client_secret is not None
    assert settings.github_webhook_secret is not None
    secrets = [
        settings.github_app_client_secret.get_secret_value(),
        settings.github_webhook_secret.get_secret_value(),
        fake_github.app_private_key.splitlines()[1],
    ]
    # Leaving out the test client's own request lines: they are the browser's, not the server's.
    logged = "\n".join(
        f"{r.getMessage()} {r.__dict__}"
        for r in caplog.records
        if f"{LOCAL}/setup" not in r.getMessage()
    )
    assert "GitHub App registered" in logged  # the logs do say what happened
    assert [secret for secret in secrets if secret in logged] == []
    assert [secret for secret in secrets if secret in done.text] == []
    # httpx logs request URLs: the one-time code in the conversion's path is masked there.
    (conversion,) = fake_github.calls("POST", "/app-manifests/")
    code = conversion.path.split("/")[2]
    assert code not in logged


def test_the_code_is_masked_in_httpx_request_lines() -> None:
    # litellm, once imported, sets httpx's logger to WARNING, so the request line is checked
    # on a record shaped like httpx's own rather than through the logger.
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        'HTTP Request: %s %s "%s %d %s"',
        ("POST", "https://api.github.com/app-manifests/abc123/conversions", "HTTP/1.1", 201, ""),
        None,
    )
    assert _HIDE_CODE.filter(record)
    assert "abc123" not in record.getMessage()
    assert "/app-manifests/***/conversions" in record.getMessage()
