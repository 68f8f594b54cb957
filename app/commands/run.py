"""`/run <function> [json]`: invoke a function the repository declares, in the sandbox, and
carry out the actions it returns on the issue it was asked on — and nowhere else."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.commands.parse import CommandRequest
from app.github.api import RepositoryApi
from app.github.client import GitHubApp
from app.github.git import Checkout
from functions import ServerlessRuntime
from functions.invocation import FunctionActions

log = logging.getLogger(__name__)


async def apply_actions(
    api: RepositoryApi, issue_number: int, actions: FunctionActions | None
) -> list[str]:
    """Carry out a function's actions on the one issue or pull request that triggered it,
    with the App's permissions; what was done, in words."""
    done: list[str] = []
    if actions is not None and actions.comment:
        await api.comment(issue_number, actions.comment)
        done.append("commented")
    if actions is not None and actions.labels:
        await api.add_labels(issue_number, list(actions.labels))
        done.append("labelled " + ", ".join(f"`{label}`" for label in actions.labels))
    return done


def parse_run_arguments(args: str) -> tuple[str, Any] | str:
    """(function name, JSON input), or a message saying what is wrong."""
    name, _, rest = args.strip().partition(" ")
    if not name:
        return "Say which function to run: `/run <function> [json]`."
    rest = rest.strip()
    if not rest:
        return name, {}
    try:
        return name, json.loads(rest)
    except json.JSONDecodeError as error:
        return f"The input after `{name}` is not valid JSON: {error.msg} (column {error.colno})."


async def run_function(
    api: RepositoryApi,
    request: CommandRequest,
    args: str,
    runtime_factory: Callable[[], ServerlessRuntime],
    github: GitHubApp,
) -> str:
    parsed = parse_run_arguments(args)
    if isinstance(parsed, str):
        return parsed
    name, data = parsed
    token = await github.installation_token(request.installation_id)
    runtime = runtime_factory()
    try:
        with tempfile.TemporaryDirectory(prefix="kintsugi-run-") as tmp:
            checkout = await Checkout.clone(
                request.clone_url, token, Path(tmp) / "repo", branch=request.default_branch
            )
            # The function's code runs in the sandbox from a copy without git metadata.
            loaded = runtime.load_repository(checkout.root, request.repository)
            if name not in loaded.functions:
                known = ", ".join(f"`{n}`" for n in sorted(loaded.functions)) or "none"
                return f"This repository declares no function `{name}` (declared: {known})."
            event = {
                "command": "run",
                "input": data,
                "repository": request.repository,
                "issue": {"number": request.issue_number, "title": request.issue_title},
                "sender": request.author,
            }
            response = await runtime.invoke(name, event, repository=request.repository)
    finally:
        await runtime.close()
    if response.status_code != 200:
        return (
            f"`{name}` failed with status {response.status_code}: {response.error or 'no details'}"
        )
    done = await apply_actions(api, request.issue_number, response.actions)
    summary = "; ".join(done) or "no actions"
    body = json.dumps(response.body)[:1500]
    return (
        f"Ran `{name}` in {response.execution_time_ms:.0f} ms ({summary}).\n\n```json\n{body}\n```"
    )
