"""EVENT_HANDLER_HOOKS: an operator's own handlers, routed beside Kintsugi's at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.errors import ConfigurationError
from app.events import Event, InMemoryEventStore
from tests.api.conftest import make_settings
from tests.workers.fault_handlers import RUNS_FILE
from workers.handlers import default_router, handler_hooks
from workers.jobs import EventJob, JobOutcome


async def test_a_hook_routes_events_to_its_handler(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RUNS_FILE, str(tmp_path / "runs.txt"))
    settings = make_settings(
        f"sqlite:///{tmp_path / 'k.db'}",
        event_handler_hooks=" tests.workers.fault_handlers:register ,",
    )
    store = InMemoryEventStore()
    router = default_router(settings, store)
    (event,) = await store.append("s", Event(type="github.push", source="github"), outbox=True)

    result = await EventJob(store, router).run(event.id, 1, event)

    assert result.outcome is JobOutcome.DONE
    assert (tmp_path / "runs.txt").read_text().split()[0] == str(event.id)
    assert len(router.handlers_for("github.push")) == 2  # the hook's and the logging one


@pytest.mark.parametrize(
    ("spec", "cause"),
    [
        ("tests.workers.fault_handlers", "is not of the form package.module:function"),
        ("tests.workers.no_such_module:register", "cannot be loaded"),
        ("tests.workers.fault_handlers:missing", "cannot be loaded"),
        ("tests.workers.fault_handlers:RUNS_FILE", "is not callable"),
    ],
)
def test_a_hook_that_does_not_resolve_is_named_in_the_error(spec: str, cause: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        handler_hooks(spec)
    assert spec in str(raised.value) and cause in str(raised.value)
