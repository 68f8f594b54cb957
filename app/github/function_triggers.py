"""GitHub events run the functions a repository declares for them (`on: [issues.opened]`) in
the sandbox; the actions they return are carried out on the triggering issue or pull request."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from app.commands.run import apply_actions
from app.events.model import Event, EventType
from app.events.store import DuplicateEventError, EventStore
from app.github.api import GitHubRepository, RepoRef
from app.github.client import GitHubApp
from app.github.git import Checkout
from app.github.repo_configs import RepoConfigs
from functions import ServerlessRuntime
from functions.config import FunctionSpec
from functions.runtime import EventSink

log = logging.getLogger(__name__)

SOURCE = "kintsugi.functions"
DEFAULT_REGION = "default"
RuntimeFactory = Callable[[EventSink], ServerlessRuntime]
# Hands an event's functions of another region to that region's workers: (region, event, names).
HandOff = Callable[[str, Event, list[str]], Awaitable[None]]


def trigger_of(event_type: str) -> str | None:
    """`issues.opened` for `github.issues.opened`; None for events from elsewhere."""
    if not event_type.startswith("github."):
        return None
    return event_type.removeprefix("github.")


def triggered_by(spec: FunctionSpec, trigger: str) -> bool:
    """`on` names `<event>.<action>`, or just `<event>` for every action of it."""
    return trigger in spec.on or trigger.partition(".")[0] in spec.on


def target_number(payload: dict[str, Any]) -> int | None:
    """The issue or pull request an event is about: where actions may land, and nowhere else."""
    for key in ("issue", "pull_request"):
        item = payload.get(key)
        if isinstance(item, dict) and isinstance(item.get("number"), int):
            return int(item["number"])
    return None


def _from_a_bot(payload: dict[str, Any]) -> bool:
    sender = payload.get("sender")
    if not isinstance(sender, dict):
        return False
    return sender.get("type") == "Bot" or str(sender.get("login") or "").endswith("[bot]")


class FunctionTriggers:
    """The handler for every GitHub event: most repositories declare nothing for most events,
    which costs one cached config read. Once per event and function, however often the job
    runs."""

    def __init__(
        self,
        github: GitHubApp,
        store: EventStore,
        configs: RepoConfigs,
        *,
        runtime_factory: RuntimeFactory | None = None,
        scratch_root: Path | None = None,
        region: str = DEFAULT_REGION,
        hand_off: HandOff | None = None,
    ) -> None:
        # A process serves one region; functions of other regions go to their own workers
        # through `hand_off` (arq queues). Without it (the embedded default) all run here.
        self.region = region
        self.hand_off = hand_off
        self.github = github
        self.store = store
        self.configs = configs
        self.runtime_factory = runtime_factory or (lambda sink: ServerlessRuntime(on_invoked=sink))
        self.scratch_root = scratch_root

    async def __call__(self, event: Event) -> None:
        await self.run(event)

    async def run(self, event: Event, only: Sequence[str] | None = None) -> None:
        """Run the functions `event` triggers (just those named in `only`, when given) that
        belong to this region, and hand the others to their regions."""
        trigger = trigger_of(event.type)
        payload = event.payload
        repo = payload.get("repository")
        full_name = repo.get("full_name") if isinstance(repo, dict) else None
        installation_id = event.metadata.installation_id
        if trigger is None or installation_id is None or not isinstance(full_name, str):
            return
        if _from_a_bot(payload):
            return  # a function that comments on comments must not feed on its own output
        ref = RepoRef.parse(full_name)
        loaded = await self.configs.load(installation_id, ref)
        specs = loaded.functions.functions
        names = [
            name
            for name, spec in sorted(specs.items())
            if triggered_by(spec, trigger) and (only is None or name in only)
        ]
        if self.hand_off is not None:
            elsewhere: dict[str, list[str]] = {}
            for name in names:
                if specs[name].region != self.region:
                    elsewhere.setdefault(specs[name].region, []).append(name)
            for region, handed in sorted(elsewhere.items()):
                await self.hand_off(region, event, handed)
            names = [name for name in names if specs[name].region == self.region]
        pending = [
            name
            for name in names
            if await self.store.find_by_idempotency_key(self._key(event, name)) is None
        ]
        if not pending:
            return
        assert isinstance(repo, dict)
        api = GitHubRepository(await self.github.installation_client(installation_id), ref)
        clone_url, branch = str(repo.get("clone_url") or ""), str(repo.get("default_branch") or "")
        if not clone_url or not branch:
            details = await api.details()
            clone_url, branch = details.clone_url, details.default_branch
        token = await self.github.installation_token(installation_id)

        async def record(invoked: Event) -> None:
            stamped = event.caused(invoked.type, invoked.source, invoked.payload)
            await self.store.append(invoked.stream, stamped)

        runtime = self.runtime_factory(record)
        try:
            with tempfile.TemporaryDirectory(prefix="kintsugi-fn-", dir=self.scratch_root) as tmp:
                checkout = await Checkout.clone(clone_url, token, Path(tmp) / "repo", branch=branch)
                runtime.load_repository(checkout.root, full_name)
                for name in pending:
                    await self._run(runtime, api, event, trigger, name, full_name)
        finally:
            await runtime.close()

    @staticmethod
    def _key(event: Event, name: str) -> str:
        return f"function-trigger:{event.id}:{name}"

    async def _run(
        self,
        runtime: ServerlessRuntime,
        api: GitHubRepository,
        event: Event,
        trigger: str,
        name: str,
        repository: str,
    ) -> None:
        response = await runtime.invoke(name, event.payload, repository=repository)
        number = target_number(event.payload)
        done: list[str] = []
        if response.status_code == 200 and response.actions is not None:
            if number is None:
                log.info(
                    "function actions dropped: the event has no issue or pull request",
                    extra={"function": name, "trigger": trigger},
                )
            else:
                done = await apply_actions(api, number, response.actions)
        record = event.caused(
            EventType.FUNCTION_TRIGGERED,
            SOURCE,
            {
                "repository": repository,
                "function": name,
                "trigger": trigger,
                "invocation_id": response.invocation_id,
                "status_code": response.status_code,
                "error": response.error,
                "issue": number,
                "actions": done,
            },
        ).model_copy(update={"idempotency_key": self._key(event, name)})
        with contextlib.suppress(DuplicateEventError):
            await self.store.append(f"function-{repository}/{name}", record)
        log.info(
            "function triggered",
            extra={"function": name, "trigger": trigger, "status": response.status_code},
        )
