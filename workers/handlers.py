"""The handlers wired to event types by default, and the hooks that add an operator's own."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable

from app.environments.cache import EnvironmentCache
from app.errors import ConfigurationError
from app.events.model import Event
from app.events.store import EventStore
from app.settings import Settings
from functions.sandbox import Sandbox
from workers.jobs import Router

log = logging.getLogger(__name__)


async def log_event(event: Event) -> None:
    log.info(
        "event handled",
        extra={
            "event_id": str(event.id),
            "type": event.type,
            "delivery_id": event.metadata.delivery_id,
            "installation_id": event.metadata.installation_id,
        },
    )


def default_router(
    settings: Settings | None = None,
    store: EventStore | None = None,
    *,
    sandbox: Sandbox | None = None,
    environments: EnvironmentCache | None = None,
) -> Router:
    """Logging for every event; with settings and a store, the GitHub App's features too, in
    the process's `sandbox` and building repositories' `environments` through it."""
    router = Router()
    router.on("*", log_event)
    if settings is not None and store is not None:
        from workers.github_handlers import register_github_handlers

        register_github_handlers(
            router, settings, store, sandbox=sandbox, environments=environments
        )
        for hook in handler_hooks(settings.event_handler_hooks):
            hook(router, settings, store)
    return router


HandlerHook = Callable[[Router, Settings, EventStore], None]


def handler_hooks(spec: str) -> list[HandlerHook]:
    """The `module:function` hooks named in EVENT_HANDLER_HOOKS, imported; a name that does
    not resolve to a callable is a configuration error naming it."""
    hooks: list[HandlerHook] = []
    for name in filter(None, (part.strip() for part in spec.split(","))):
        module_name, _, attribute = name.partition(":")
        if not module_name or not attribute:
            raise ConfigurationError(
                f"EVENT_HANDLER_HOOKS entry {name!r} is not of the form package.module:function"
            )
        try:
            hook = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as error:
            raise ConfigurationError(
                f"EVENT_HANDLER_HOOKS entry {name!r} cannot be loaded: {error}"
            ) from error
        if not callable(hook):
            raise ConfigurationError(f"EVENT_HANDLER_HOOKS entry {name!r} is not callable")
        hooks.append(hook)
    return hooks
