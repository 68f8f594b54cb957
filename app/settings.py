"""Settings, read once from the environment (and `.env`) through `get_settings()`."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.errors import ConfigurationError

DEFAULT_DATA_DIR = Path(".kintsugi")


class Settings(BaseSettings):
    """Every setting Kintsugi reads; `.env.example` documents each one."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "production"
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    redis_url: str | None = None
    queue_name: str = "kintsugi:queue"
    github_webhook_secret: SecretStr | None = None
    sentry_webhook_secret: SecretStr | None = None
    # Sentry organisation slug → the GitHub installations allowed to receive its events, as
    # `acme=12345 67890, other-org=111`; unset, any installed repository mapping a project may.
    sentry_installations: str = ""
    max_webhook_bytes: int = Field(default=25 * 1024 * 1024, gt=0)
    # Slow clients: a request's headers, then its whole body, must arrive within these.
    http_header_timeout_seconds: float = Field(default=10.0, gt=0)
    http_body_timeout_seconds: float = Field(default=30.0, gt=0)
    # Bytes of request bodies held at once before anyone sending them is authenticated.
    http_unauthenticated_body_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    job_max_tries: int = Field(default=5, ge=1)
    job_timeout_seconds: float = Field(default=300.0, gt=0)
    job_retry_base_seconds: float = Field(default=1.0, ge=0)
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    # Longest wait between attempts to reach Redis again, for the worker and the relay alike.
    redis_reconnect_max_seconds: float = Field(default=2.0, gt=0)
    # Jobs handed over again after Redis lost them wait this long before a worker may take one,
    # so every worker has reconnected and re-claimed the jobs it is still running.
    lost_jobs_grace_seconds: float = Field(default=5.0, ge=0)
    # Comma-separated `module:function` callables given (router, settings, store) at start-up,
    # to route events to handlers of one's own beside Kintsugi's.
    event_handler_hooks: str = ""
    log_level: str = "INFO"
    log_json: bool = True
    # Without a working bubblewrap untrusted code does not run; true allows a fallback that
    # isolates no files, for local development only and never as root.
    sandbox_allow_degraded: bool = False
    sandbox_disk_mb: int = Field(default=1024, gt=0)  # a run's work directory (a tmpfs)
    functions_token_secret: SecretStr | None = None
    functions_checkouts_dir: Path | None = None
    sentry_dsn: SecretStr | None = None
    sentry_environment: str | None = None
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0, le=1)
    dashboard_token: SecretStr | None = None
    llm_model: str | None = None  # any litellm model string; unset means no LLM
    llm_fallbacks: str = ""  # comma-separated litellm model strings tried in order
    llm_api_base: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_seconds: float = Field(default=60.0, gt=0)
    llm_max_retries: int = Field(default=2, ge=0)
    llm_cost_budget_usd: float | None = Field(default=None, ge=0)  # per healing case
    github_app_id: int | None = None
    github_app_private_key: SecretStr | None = None  # PEM text; or GITHUB_APP_PRIVATE_KEY_PATH
    github_app_private_key_path: Path | None = None
    github_app_slug: str | None = None
    github_app_client_id: str | None = None
    github_app_client_secret: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    github_url: str = "https://github.com"  # the web root: https://HOST on GitHub Enterprise
    public_url: str | None = None  # where GitHub reaches this server (webhooks)
    github_draft_below_confidence: float = Field(default=0.6, ge=0, le=1)
    healing_budget_seconds: float = Field(default=300.0, gt=0)  # wall clock per healing case
    healing_parallel_candidates: int = Field(default=2, ge=1)  # candidates validated at once
    # A test running longer fails where it is stuck: seconds for a test the baseline did not
    # time (0: unbounded), else this factor times its baseline duration, at least the floor.
    test_timeout_seconds: float = Field(default=10.0, ge=0)
    test_timeout_factor: float = Field(default=10.0, gt=0)
    test_timeout_floor_seconds: float = Field(default=1.0, gt=0)
    # Candidates run in a warm worker where that applies (each pass confirmed by a cold run).
    healing_warm_validation: bool = True
    evolution_replay_cases: int = Field(default=12, ge=1)  # corpus cases per evolution run
    evolution_challengers: int = Field(default=3, ge=1)  # challengers replayed per run
    evolution_budget_seconds: float = Field(default=1800.0, gt=0)  # wall clock per run
    evolution_recorded_cases: int = Field(default=5, ge=0)  # newest recorded cases replayed
    evolution_corpus_path: Path | None = None  # unset: bench/corpus of a source checkout
    evolution_cron_hour: int = Field(default=3, ge=0, le=23)  # nightly run, UTC hour
    environment_cache_dir: Path | None = None  # unset: DATA_DIR/environments
    environment_cache_mb: int = Field(default=4096, gt=0)  # disk cap of cached environments
    environment_index_url: str | None = None  # unset: pip's index-url, else PyPI
    environment_index_hosts: str = ""  # comma-separated extra hosts the index serves files from
    environment_build_seconds: float = Field(default=600.0, gt=0)  # wall clock per build
    environment_build_memory_mb: int = Field(default=4096, gt=0)  # address space per build
    environment_build_disk_mb: int = Field(default=4096, gt=0)  # everything one build writes
    # Interpreters repositories' environments may use besides pyenv's and /usr/bin/python3.X.
    environment_interpreters: str = ""  # paths separated by commas or os.pathsep

    @field_validator(
        "github_webhook_secret",
        "sentry_webhook_secret",
        "sentry_dsn",
        "sentry_environment",
        "dashboard_token",
        "github_app_id",
        "github_app_private_key",
        "github_app_private_key_path",
        "github_app_slug",
        "github_app_client_id",
        "github_app_client_secret",
        "public_url",
        "evolution_corpus_path",
        "environment_cache_dir",
        "environment_index_url",
        "llm_model",
        "llm_api_base",
        "llm_api_key",
        "llm_cost_budget_usd",
        mode="before",
    )
    @classmethod
    def _blank_is_missing(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("sentry_installations")
    @classmethod
    def _bindings_parse(cls, value: str) -> str:
        parse_sentry_installations(value)
        return value

    @model_validator(mode="after")
    def _grace_outlasts_reconnects(self) -> Settings:
        if self.lost_jobs_grace_seconds <= self.redis_reconnect_max_seconds:
            raise ValueError(
                "LOST_JOBS_GRACE_SECONDS must exceed REDIS_RECONNECT_MAX_SECONDS: a job Redis "
                "lost could otherwise start again before the worker still running it reconnects"
            )
        return self

    @model_validator(mode="after")
    def _budget_holds_a_webhook(self) -> Settings:
        if self.http_unauthenticated_body_bytes < self.max_webhook_bytes:
            raise ValueError(
                "HTTP_UNAUTHENTICATED_BODY_BYTES must be at least MAX_WEBHOOK_BYTES: the largest "
                "webhook could otherwise never be read"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The SQLAlchemy async URL: the configured database, or the embedded SQLite file."""
        if not self.database_url:
            return f"sqlite+aiosqlite:///{self.data_dir / 'kintsugi.db'}"
        return async_database_url(self.database_url)

    @property
    def interpreter_paths(self) -> tuple[Path, ...]:
        separators = self.environment_interpreters.replace(os.pathsep, ",")
        return tuple(Path(part.strip()) for part in separators.split(",") if part.strip())

    @property
    def sentry_bindings(self) -> dict[str, frozenset[int]] | None:
        """`SENTRY_INSTALLATIONS` parsed; None when it is unset."""
        return parse_sentry_installations(self.sentry_installations)

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def require_webhook_secrets(self) -> tuple[bytes, bytes]:
        """Both webhook secrets, or a clear error: never serve unsigned webhooks."""
        missing = [
            name
            for name, value in (
                ("GITHUB_WEBHOOK_SECRET", self.github_webhook_secret),
                ("SENTRY_WEBHOOK_SECRET", self.sentry_webhook_secret),
            )
            if value is None or not value.get_secret_value()
        ]
        if missing:
            raise ConfigurationError(
                f"{' and '.join(missing)} must be set: Kintsugi refuses to accept webhooks it "
                "cannot verify. Set them in the environment or in .env (see .env.example)."
            )
        assert self.github_webhook_secret is not None
        assert self.sentry_webhook_secret is not None
        return (
            self.github_webhook_secret.get_secret_value().encode(),
            self.sentry_webhook_secret.get_secret_value().encode(),
        )


_ORGANIZATION_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")


def parse_sentry_installations(text: str) -> dict[str, frozenset[int]] | None:
    """`acme=12345 67890, other-org=111` → {"acme": {12345, 67890}, "other-org": {111}};
    None for blank text. Anything else is a ValueError naming the setting and the bad part."""
    if not text.strip():
        return None
    bindings: dict[str, frozenset[int]] = {}
    for part in text.split(","):
        entry = part.strip()
        organization, equals, ids = entry.partition("=")
        organization = organization.strip().lower()
        if not equals or not _ORGANIZATION_SLUG.fullmatch(organization):
            raise ValueError(
                f"SENTRY_INSTALLATIONS: {entry!r} is not `<sentry organisation slug>=<GitHub "
                "installation id> …` (entries are separated by commas)"
            )
        if organization in bindings:
            raise ValueError(f"SENTRY_INSTALLATIONS names the organisation {organization!r} twice")
        numbers = ids.split()
        if not numbers or not all(n.isascii() and n.isdigit() and int(n) > 0 for n in numbers):
            raise ValueError(
                f"SENTRY_INSTALLATIONS: the installations of {organization!r} must be positive "
                f"GitHub installation ids separated by spaces, not {ids.strip()!r}"
            )
        bindings[organization] = frozenset(int(n) for n in numbers)
    return bindings


def async_database_url(url: str) -> str:
    """Map the usual `postgresql://` and `sqlite://` spellings onto the async drivers."""
    for plain, driver in (
        ("postgres://", "postgresql+asyncpg://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgresql+psycopg2://", "postgresql+asyncpg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
