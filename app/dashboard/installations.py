"""The installations projection: which accounts have the App, on which repositories, in what
state — folded from `github.installation.*` and `github.installation_repositories.*` events."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from app.events.model import Event

INSTALLATION_EVENT_TYPES = (
    "github.installation.created",
    "github.installation.deleted",
    "github.installation.suspend",
    "github.installation.unsuspend",
    "github.installation.new_permissions_accepted",
    "github.installation_repositories.added",
    "github.installation_repositories.removed",
)


@dataclass(frozen=True)
class Installation:
    """One installation of the App as the event log last saw it."""

    id: int
    account: str
    account_type: str
    repository_selection: str
    repositories: tuple[str, ...] = ()
    status: str = "active"  # active | suspended | deleted
    events: int = 0
    last_event_at: datetime | None = None
    sender: str | None = None
    permissions: dict[str, str] = field(default_factory=dict)


def project_installations(events: Iterable[Event]) -> list[Installation]:
    """Fold installation events (in log order) into one `Installation` per id, sorted by
    account. Events of other types and payloads without an installation id are ignored."""
    seen: dict[int, Installation] = {}
    for event in events:
        kind, _, action = event.type.removeprefix("github.").partition(".")
        if kind not in ("installation", "installation_repositories"):
            continue
        payload = event.payload
        body = payload.get("installation")
        if not isinstance(body, dict) or not isinstance(body.get("id"), int):
            continue
        current = _refresh(seen.get(body["id"]), body, event)
        if kind == "installation":
            current = _installation_action(current, action, payload)
        else:
            current = _repositories_changed(current, payload)
        seen[current.id] = current
    return sorted(seen.values(), key=lambda item: (item.account.lower(), item.id))


def _refresh(known: Installation | None, body: dict[str, Any], event: Event) -> Installation:
    account = body.get("account") if isinstance(body.get("account"), dict) else {}
    assert isinstance(account, dict)
    sender = event.payload.get("sender")
    base = known or Installation(
        id=body["id"],
        account=str(account.get("login") or "?"),
        account_type=str(account.get("type") or ""),
        repository_selection=str(body.get("repository_selection") or ""),
    )
    permissions = body.get("permissions")
    return replace(
        base,
        account=str(account.get("login") or base.account),
        account_type=str(account.get("type") or base.account_type),
        repository_selection=str(body.get("repository_selection") or base.repository_selection),
        permissions=dict(permissions) if isinstance(permissions, dict) else base.permissions,
        events=base.events + 1,
        last_event_at=event.occurred_at,
        sender=sender.get("login") if isinstance(sender, dict) else base.sender,
    )


def _installation_action(
    current: Installation, action: str, payload: dict[str, Any]
) -> Installation:
    if action == "deleted":
        return replace(current, status="deleted", repositories=())
    if action == "suspend":
        return replace(current, status="suspended")
    if action in ("unsuspend", "created"):
        current = replace(current, status="active")
    listed = _full_names(payload.get("repositories"))
    if action == "created" or listed:
        current = replace(current, repositories=tuple(sorted(set(listed))))
    return current


def _repositories_changed(current: Installation, payload: dict[str, Any]) -> Installation:
    repositories = set(current.repositories)
    repositories |= set(_full_names(payload.get("repositories_added")))
    repositories -= set(_full_names(payload.get("repositories_removed")))
    return replace(current, repositories=tuple(sorted(repositories)))


def _full_names(items: object) -> list[str]:
    if not isinstance(items, list):
        return []
    return [
        str(item["full_name"])
        for item in items
        if isinstance(item, dict) and isinstance(item.get("full_name"), str)
    ]
