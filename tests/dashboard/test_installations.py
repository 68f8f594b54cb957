"""The installations projection, fed with real GitHub webhook payloads from the corpus turned
into events the way the webhook route does."""

from __future__ import annotations

import uuid

from app.dashboard.installations import INSTALLATION_EVENT_TYPES, project_installations
from app.events.model import Event
from app.github.payloads import validate_github_payload
from app.ingest.deliveries import GitHubDelivery, github_event
from tests.conftest import CORPUS

WEBHOOKS = CORPUS / "github-webhooks"


def delivered(event: str, example: str, position: int) -> Event:
    body = (WEBHOOKS / event / f"{example}.payload.json").read_bytes()
    delivery = GitHubDelivery(event=event, delivery_id=str(uuid.uuid4()), hook_id="1", body=body)
    return github_event(delivery, validate_github_payload).model_copy(update={"position": position})


def test_every_corpus_installation_example_has_a_type_the_projection_reads() -> None:
    examples = sorted(WEBHOOKS.glob("installation*/*.payload.json"))
    assert len(examples) == 8
    for path in examples:
        event = delivered(path.parent.name, path.name.split(".")[0], 1)
        assert event.type in INSTALLATION_EVENT_TYPES, event.type


def test_created_then_repositories_added_lists_both_repositories() -> None:
    installations = project_installations(
        [
            delivered("installation", "created", 1),
            delivered("installation_repositories", "added", 2),
        ]
    )
    (codertocat,) = installations
    assert codertocat.id == 957387
    assert codertocat.account == "Codertocat"
    assert codertocat.account_type == "User"
    assert codertocat.status == "active"
    assert codertocat.repositories == ("Codertocat/Hello-World", "Codertocat/Space")
    assert codertocat.repository_selection == "selected"
    assert codertocat.events == 2


def test_removed_repository_and_deleted_installation_are_reflected() -> None:
    events = [
        delivered("installation_repositories", "removed", 1),
        delivered("installation", "deleted", 2),
    ]
    (octocat,) = project_installations(events[:1])
    assert octocat.repositories == ()
    (gone,) = project_installations(events)
    assert gone.status == "deleted"
    assert gone.account == "octocat"


def test_suspend_and_unsuspend_toggle_the_status() -> None:
    suspended = project_installations([delivered("installation", "suspend", 1)])
    assert [i.status for i in suspended] == ["suspended"]
    resumed = project_installations(
        [delivered("installation", "suspend", 1), delivered("installation", "unsuspend", 2)]
    )
    assert [(i.id, i.status) for i in resumed] == [(16598467, "active")]


def test_new_permissions_update_permissions_and_selection_and_keep_the_rest() -> None:
    (item,) = project_installations(
        [
            delivered("installation", "created", 1),
            delivered("installation", "new_permissions_accepted", 2),
        ]
    )
    assert item.repository_selection == "all"
    assert item.permissions and all(isinstance(v, str) for v in item.permissions.values())
    assert item.repositories == ("Codertocat/Hello-World",)
    assert item.status == "active"


def test_accounts_are_sorted_and_other_events_ignored() -> None:
    events = [
        delivered("installation", "created", 1),
        delivered("installation", "deleted", 2),
        delivered("installation", "suspend", 3),
        delivered("installation_repositories", "added", 4),
        delivered("ping", "with-app_id", 5),
        Event(type="github.issues.opened", source="github", payload={"installation": {"id": 1}}),
    ]
    installations = project_installations(events)
    assert [(i.account, i.id, i.status) for i in installations] == [
        ("Codertocat", 957387, "active"),
        ("Codertocat", 16598467, "suspended"),
        ("octocat", 2, "deleted"),
    ]
