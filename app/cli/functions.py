"""`kintsugi functions list|invoke`: a repository's declared functions, run through the sandbox."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from app.errors import ConfigurationError

LOCAL_REPOSITORY = "local/checkout"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    functions = commands.add_parser("functions", help="list and invoke a repository's functions")
    sub = functions.add_subparsers(dest="functions_command", required=True, metavar="COMMAND")

    listing = sub.add_parser("list", help="the functions .github/kintsugi.yml declares")
    listing.add_argument("path", type=Path, help="a checkout of the repository")
    listing.set_defaults(handler=run_list)

    invoke = sub.add_parser("invoke", help="run one function in the sandbox, print the response")
    invoke.add_argument("path", type=Path, help="a checkout of the repository")
    invoke.add_argument("name", help="the function's name in .github/kintsugi.yml")
    invoke.add_argument("--event", type=Path, help="a JSON file with the event (default: {})")
    invoke.set_defaults(handler=run_invoke)

    token = sub.add_parser("token", help="the bearer token of a repository's HTTP triggers")
    token.add_argument("repository", help="owner/repo")
    token.set_defaults(handler=run_token)


def run_token(args: argparse.Namespace) -> int:
    from app.api.functions import repository_token
    from app.settings import get_settings
    from app.workspace import full_name_problem

    secret = get_settings().functions_token_secret
    if secret is None:
        raise ConfigurationError("FUNCTIONS_TOKEN_SECRET is not set: HTTP triggers are disabled")
    problem = full_name_problem(args.repository)
    if problem is not None:
        raise ConfigurationError(f"no token minted: {problem}")
    print(repository_token(secret.get_secret_value().encode(), args.repository))
    return 0


def run_list(args: argparse.Namespace) -> int:
    from functions.config import load_repo_functions

    loaded = load_repo_functions(_checkout(args.path))
    for name, spec in sorted(loaded.functions.items()):
        triggers = ", ".join(spec.on) or "-"
        extras = [f"/run {spec.command}"] if spec.command else []
        extras += ["http"] if spec.http else []
        print(
            f"{name}\t{spec.file}:{spec.handler}\ton: {triggers}\t{spec.timeout:g}s "
            f"{spec.memory_mb}MB region={spec.region}\t{' '.join(extras)}".rstrip()
        )
    for problem in loaded.problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if loaded.problems else 0


def run_invoke(args: argparse.Namespace) -> int:
    from app.settings import get_settings
    from functions.runtime import ServerlessRuntime
    from functions.sandbox import Sandbox

    event = _read_event(args.event)
    sandbox = Sandbox(allow_degraded=get_settings().sandbox_allow_degraded)
    runtime = ServerlessRuntime(sandbox=sandbox, keep_warm=0)
    loaded = runtime.load_repository(_checkout(args.path), LOCAL_REPOSITORY)
    for problem in loaded.problems:
        print(f"warning: {problem}", file=sys.stderr)

    async def invoke() -> dict[str, Any]:
        try:
            response = await runtime.invoke(args.name, event=event, repository=LOCAL_REPOSITORY)
            return response.to_json()
        finally:
            await runtime.close()

    reply = asyncio.run(invoke())
    print(json.dumps(reply, indent=2))
    return 0 if reply["status_code"] == 200 else 1


def _checkout(path: Path) -> Path:
    if not path.is_dir():
        raise ConfigurationError(f"{path} is not a directory")
    return path.resolve()


def _read_event(path: Path | None) -> Any:
    if path is None:
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"cannot read the event from {path}: {error}") from error
