"""The installations projection over stored corpus payloads."""

from __future__ import annotations

import json
from typing import Any

from app.events import Event, InMemoryEventStore
from app.github.installations import load_installations
from tests.conftest import CORPUS


def corpus(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (CORPUS / "github-webhooks" / f"{name}.payload.json").read_text()
    )
    return loaded


async def store_events(*items: tuple[str, dict[str, Any]]) -> InMemoryEventStore:
    store = InMemoryEventStore()
    for kind, payload in items:
        event_type = f"github.{kind}.{payload['action']}"
        await store.append("github/app", Event(type=event_type, source="github", payload=payload))
    return store


async def test_created_then_repositories_added_covers_both_repositories() -> None:
    store = await store_events(
        ("installation", corpus("installation/created")),
        ("installation_repositories", corpus("installation_repositories/added")),
    )
    installations = await load_installations(store)
    found = installations.for_repository("codertocat/space")
    assert found is not None and found.id == 957387
    assert set(found.repositories) == {"Codertocat/Hello-World", "Codertocat/Space"}
    assert installations.get(957387) is found


async def test_deleted_or_suspended_installations_serve_no_repository() -> None:
    created = corpus("installation/created")
    suspended = {**corpus("installation/suspend"), "installation": created["installation"]}
    store = await store_events(("installation", created), ("installation", suspended))
    installations = await load_installations(store, page=1)
    assert installations.for_repository("Codertocat/Hello-World") is None
    assert installations.active() == []
    assert installations.get(957387) is not None


async def test_removed_repository_is_no_longer_covered() -> None:
    deleted = corpus("installation/deleted")
    created = {**deleted, "action": "created"}
    store = await store_events(
        ("installation", created),
        ("installation_repositories", corpus("installation_repositories/removed")),
    )
    installations = await load_installations(store)
    assert installations.for_repository("octocat/Hello-World") is None
    assert [item.id for item in installations.active()] == [2]
