"""Settings refuse to run a server that would accept unsigned webhooks."""

from __future__ import annotations

import pytest

from app.errors import ConfigurationError
from app.main import create_app
from app.settings import Settings


def test_missing_webhook_secrets_are_named_in_the_error() -> None:
    settings = Settings(_env_file=None, github_webhook_secret="set")  # type: ignore[call-arg]

    with pytest.raises(ConfigurationError) as raised:
        create_app(settings)

    assert "SENTRY_WEBHOOK_SECRET" in str(raised.value)
    assert "GITHUB_WEBHOOK_SECRET" not in str(raised.value)


def test_blank_secrets_count_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "")
    monkeypatch.setenv("SENTRY_WEBHOOK_SECRET", "")

    with pytest.raises(ConfigurationError, match="GITHUB_WEBHOOK_SECRET and SENTRY_WEBHOOK_SECRET"):
        Settings(_env_file=None).require_webhook_secrets()  # type: ignore[call-arg]


def test_secrets_do_not_show_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", "very-secret-value")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert "very-secret-value" not in repr(settings)


def test_embedded_default_is_a_sqlite_file_in_the_data_dir() -> None:
    settings = Settings(_env_file=None, data_dir="/var/lib/kintsugi")  # type: ignore[call-arg]
    assert settings.resolved_database_url == "sqlite+aiosqlite:////var/lib/kintsugi/kintsugi.db"
    assert settings.is_sqlite


def test_every_setting_is_documented_in_env_example() -> None:
    from pathlib import Path

    example = (Path(__file__).resolve().parents[1] / ".env.example").read_text()
    documented = {line.split("=", 1)[0] for line in example.splitlines() if "=" in line}
    missing = sorted(name.upper() for name in Settings.model_fields)
    missing = [name for name in missing if name not in documented]
    assert missing == []


def test_lost_jobs_must_wait_longer_than_a_worker_takes_to_reconnect() -> None:
    with pytest.raises(ValueError, match="LOST_JOBS_GRACE_SECONDS must exceed"):
        Settings(_env_file=None, redis_reconnect_max_seconds=5, lost_jobs_grace_seconds=5)


def test_the_unauthenticated_body_budget_must_hold_the_largest_webhook() -> None:
    with pytest.raises(ValueError, match="HTTP_UNAUTHENTICATED_BODY_BYTES must be at least"):
        Settings(_env_file=None, max_webhook_bytes=2048, http_unauthenticated_body_bytes=1024)
    assert Settings(_env_file=None).http_unauthenticated_body_bytes >= 25 * 1024 * 1024


def test_sentry_installations_bind_organisations_to_installation_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SENTRY_INSTALLATIONS", " Acme=12345 67890 , other-org=111")
    assert Settings(_env_file=None).sentry_bindings == {
        "acme": frozenset({12345, 67890}),
        "other-org": frozenset({111}),
    }
    assert Settings(_env_file=None, sentry_installations="").sentry_bindings is None


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("acme", "'acme' is not `<sentry organisation slug>="),
        ("=12345", "'=12345' is not"),
        ("acme=", "installations of 'acme' must be positive"),
        ("acme=12x45", "not '12x45'"),
        ("acme=0", "not '0'"),
        ("acme=-3", "not '-3'"),
        ("acme=1,", "'' is not"),
        ("acme=1; other=2", "installations of 'acme' must be"),
        ("acme=1, ACME=2", "names the organisation 'acme' twice"),
        ("ac me=1", "'ac me=1' is not"),
    ],
)
def test_a_malformed_sentry_installations_is_an_error_naming_it(value: str, named: str) -> None:
    with pytest.raises(ValueError, match="SENTRY_INSTALLATIONS") as raised:
        Settings(_env_file=None, sentry_installations=value)
    assert named in str(raised.value)
