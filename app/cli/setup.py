"""`kintsugi setup`: register the GitHub App from its manifest on a machine without a browser,
by printing the page to open elsewhere and serving only that page until GitHub answers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.errors import ConfigurationError
from app.settings import Settings, get_settings

ENV_FILE = Path(".env")  # where Settings reads it: the working directory


def register(commands: Any) -> None:
    setup = commands.add_parser(
        "setup", help="register the GitHub App from app.yml in one click (prints the page to open)"
    )
    setup.add_argument("--host", default="127.0.0.1", help="address to listen on")
    setup.add_argument("--port", type=int, default=8000)
    add_public_url(setup)
    setup.set_defaults(handler=run_setup)


def add_public_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--public-url",
        help="where GitHub reaches this server (default: PUBLIC_URL); webhooks go to "
        "<it>/webhooks/github",
    )


def with_public_url(settings: Settings, public_url: str | None) -> Settings:
    from app.github.manifest import base_url

    if not public_url:
        return settings
    return settings.model_copy(update={"public_url": base_url(public_url, "--public-url")})


def run_setup(args: argparse.Namespace) -> int:
    import uvicorn

    from app.observability import configure_logging
    from app.setup.routes import SetupContext
    from app.setup.server import announce, local_url, setup_app, stop_when_registered

    settings = with_public_url(get_settings(), args.public_url)
    context = SetupContext(settings, ENV_FILE)
    blocking = context.blocking_setting()
    if blocking is not None:
        raise ConfigurationError(
            f"a GitHub App is configured already ({blocking} is set); remove the GitHub App "
            f"settings from {ENV_FILE.resolve()} (and the environment) to register another"
        )
    configure_logging(settings.log_level, json_lines=settings.log_json)
    server = uvicorn.Server(
        uvicorn.Config(
            setup_app(context), host=args.host, port=args.port, log_config=None, access_log=False
        )
    )
    stop_when_registered(context, server)
    urls = [local_url(args.host, args.port)]
    if settings.public_url:
        urls.append(settings.public_url)
    announce(context, urls)
    server.run()
    saved = context.registered
    if saved is None:
        print("kintsugi: stopped before a GitHub App was registered", file=sys.stderr)
        return 1
    print(f"Registered the GitHub App {saved.app.name} (id {saved.app.id}, {saved.app.html_url}).")
    print(f"Settings written to {saved.env_file.resolve()}, private key to {saved.key_file}.")
    if saved.webhook_secret_problem:
        print(
            f"The App's webhook secret is not this server's: {saved.webhook_secret_problem}. "
            "Paste GITHUB_WEBHOOK_SECRET from .env into the App's settings on GitHub."
        )
    print(f"Next: start `kintsugi serve`, then install the App: {saved.app.install_url}")
    print("Then run `kintsugi doctor` to check the set-up.")
    return 0
