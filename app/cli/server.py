"""`kintsugi serve`, `worker`, `migrate` and `events …`: running and inspecting the backbone."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from pathlib import Path
from typing import Any

from app.cli.setup import ENV_FILE, add_public_url, with_public_url
from app.errors import ConfigurationError
from app.events.store import OutboxStatus
from app.settings import Settings, get_settings


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the webhook server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--dev",
        action="store_true",
        help="development: write random webhook secrets to .env when none are set",
    )
    add_public_url(serve)
    serve.set_defaults(handler=run_serve)

    worker = commands.add_parser("worker", help="run an arq worker (needs REDIS_URL)")
    worker.add_argument(
        "--region",
        help="serve only the functions repositories declare for this region (`region:` key)",
    )
    worker.set_defaults(handler=run_worker)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(handler=run_migrate)

    events = commands.add_parser("events", help="inspect the event log")
    sub = events.add_subparsers(dest="events_command", required=True, metavar="COMMAND")
    listing = sub.add_parser("list", help="list stored events, newest last")
    listing.add_argument("--stream")
    listing.add_argument("--type", dest="event_type")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.set_defaults(handler=run_events_list)
    count = sub.add_parser("count", help="count stored events")
    count.add_argument("--type", dest="event_type")
    count.set_defaults(handler=run_events_count)
    dead = sub.add_parser("dead-letters", help="events whose handlers kept failing")
    dead.add_argument("--retry", action="store_true", help="hand them to the workers again")
    dead.set_defaults(handler=run_dead_letters)


def run_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.api.serving import server_config
    from app.main import create_app
    from app.observability import configure_logging
    from app.setup.routes import SetupContext
    from app.setup.server import announce, local_url, stop_when_registered

    if args.dev:
        _ensure_dev_secrets(ENV_FILE)
        get_settings.cache_clear()
    while True:
        settings = with_public_url(get_settings(), args.public_url)
        configure_logging(settings.log_level, json_lines=settings.log_json)
        context = SetupContext(settings, ENV_FILE, restarts=True)
        app = create_app(settings, setup=context)
        server = uvicorn.Server(server_config(app, settings, host=args.host, port=args.port))
        if context.blocking_setting() is None:
            stop_when_registered(context, server)
            urls = [local_url(args.host, args.port)]
            announce(context, urls + ([settings.public_url] if settings.public_url else []))
        server.run()
        if context.registered is None:
            return 0
        # The App's settings are in .env now; serving them needs fresh settings and services.
        print("kintsugi: GitHub App registered; restarting with it", file=sys.stderr)
        get_settings.cache_clear()


def _ensure_dev_secrets(env_file: Path) -> None:
    settings = get_settings()
    if settings.github_webhook_secret and settings.sentry_webhook_secret:
        return
    lines = env_file.read_text().splitlines() if env_file.exists() else []
    for name, value in (
        ("GITHUB_WEBHOOK_SECRET", settings.github_webhook_secret),
        ("SENTRY_WEBHOOK_SECRET", settings.sentry_webhook_secret),
    ):
        if value is None:
            lines = [line for line in lines if not line.startswith(f"{name}=")]
            lines.append(f"{name}={secrets.token_hex(32)}")
    env_file.write_text("\n".join(lines) + "\n")
    env_file.chmod(0o600)
    print(
        f"kintsugi: wrote new random webhook secrets to {env_file.resolve()}; "
        "use them as the webhook secrets of your GitHub App and Sentry integration.",
        file=sys.stderr,
    )


def run_worker(args: argparse.Namespace) -> int:
    from app.observability import configure_logging
    from app.telemetry import init_error_reporting
    from workers.arq_worker import build_worker

    settings = get_settings()
    if not settings.redis_url:
        raise ConfigurationError(
            "REDIS_URL is not set: without Redis, `kintsugi serve` runs jobs in its own process "
            "and no separate worker is needed."
        )
    configure_logging(settings.log_level, json_lines=settings.log_json)
    init_error_reporting(settings)
    use_uvloop()
    build_worker(settings, region=args.region).run()
    return 0


def use_uvloop() -> None:
    """Run the worker on uvloop, as uvicorn runs the server: a job's Redis round trips cost
    less CPU there than on asyncio's own loop. Without uvloop installed, asyncio's loop it is."""
    try:
        import uvloop
    except ImportError:
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


def run_migrate(args: argparse.Namespace) -> int:
    from app.database import create_engine, current_revision, upgrade

    async def migrate(settings: Settings) -> str | None:
        engine = create_engine(settings.resolved_database_url)
        try:
            await upgrade(engine)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    revision = asyncio.run(migrate(get_settings()))
    print(f"database schema at revision {revision}")
    return 0


def run_events_list(args: argparse.Namespace) -> int:
    async def fetch(store: Any) -> list[Any]:
        types = [args.event_type] if args.event_type else None
        return list(await store.read_latest(args.limit, types=types, stream=args.stream))

    events = asyncio.run(_with_store(fetch))
    for event in events:
        if args.json:
            print(event.model_dump_json())
        else:
            print(
                f"{event.position:>8}  {event.occurred_at:%Y-%m-%d %H:%M:%S}  "
                f"{event.type:<45} {event.stream}  {event.id}"
            )
    return 0


def run_events_count(args: argparse.Namespace) -> int:
    types = [args.event_type] if args.event_type else None
    print(asyncio.run(_with_store(lambda store: store.count(types=types))))
    return 0


def run_dead_letters(args: argparse.Namespace) -> int:
    async def work(store: Any) -> list[Any]:
        dead = await store.outbox_list(OutboxStatus.DEAD, limit=10_000)
        if args.retry:
            for entry in dead:
                await store.outbox_revive(entry.event_id)
        return list(dead)

    dead = asyncio.run(_with_store(work))
    for entry in dead:
        print(
            f"{entry.event_id}  {entry.event_type:<40} attempts={entry.attempts}  "
            f"{entry.last_error or ''}"
        )
    if args.retry and dead:
        print(f"{len(dead)} event(s) handed back to the workers", file=sys.stderr)
    elif not dead:
        print("no dead letters", file=sys.stderr)
    return 0


async def _with_store(work: Any) -> Any:
    from app.database import create_engine, ensure_schema, event_store

    settings = get_settings()
    engine = create_engine(settings.resolved_database_url)
    try:
        await ensure_schema(engine, auto_migrate=settings.is_sqlite)
        return await work(event_store(engine))
    finally:
        await engine.dispose()
