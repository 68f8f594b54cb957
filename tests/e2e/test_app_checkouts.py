"""The nightly replay's checkouts: every recorded repository is cloned at its recorded commit
through the installation the log names for it, against the fake GitHub's real git remotes; a
repository the App can no longer read, or one whose cases named no installation, fails its
check-outs with a reason (asked of GitHub once), and the recorded source counts them skipped."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from app.errors import PermanentError
from app.events.memory import InMemoryEventStore
from app.events.model import Event, EventMetadata, EventType
from app.evolution.recorded import RecordedSource
from app.github.client import GitHubApp
from app.github.replay_checkouts import AppCheckouts
from app.healing.incidents import incident_from_traceback
from tests.evolution.test_recorded import TRACEBACK, as_logged
from tests.github.conftest import INSTALLATION_ID
from tests.github.fake_github import FakeGitHub, FakeRepository, bare_repository

DEPOT_INSTALLATION = 88
DEPOT_FILES = {"depot/__init__.py": "", "depot/stock.py": "def count(items):\n    return 0\n"}


async def record(
    store: InMemoryEventStore,
    repository: str,
    commit: str,
    *,
    in_payload: int | None = None,
    in_metadata: int | None = None,
) -> None:
    """A `healing.case_opened` as fix pull requests record it (the installation in the payload),
    or as older ones did (only in the metadata the webhook passed on, or nowhere)."""
    payload: dict[str, Any] = {
        "case_id": f"case-{repository.split('/')[1]}",
        "fingerprint": f"fp-{repository}",
        "incident_data": as_logged(incident_from_traceback(TRACEBACK)),
        "test_command": "python -m pytest -q",
        "repository": repository,
        "commit": commit,
    }
    if in_payload is not None:
        payload["installation_id"] = in_payload
    event = Event(
        type=EventType.HEALING_CASE_OPENED,
        source="test",
        payload=payload,
        metadata=EventMetadata(installation_id=in_metadata),
    )
    await store.append(f"healing-{repository}", event)


def head_of(root: Path) -> str:
    return subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def depot(fake_github: FakeGitHub, tmp_path: Path) -> FakeRepository:
    bare = bare_repository(tmp_path / "depot-remote", "depot", DEPOT_FILES)
    return fake_github.add_repository(FakeRepository("octo", "depot", bare, DEPOT_INSTALLATION))


async def test_each_repository_is_cloned_at_its_commit_through_the_installation_that_recorded_it(
    fake_github: FakeGitHub,
    shop: FakeRepository,
    depot: FakeRepository,
    github_app: GitHubApp,
    tmp_path: Path,
) -> None:
    store = InMemoryEventStore()
    shop_case = shop.git("rev-parse", "main").strip()
    shop.commit("main", {"NOTES.md": "later work\n"}, "later work")  # main moved on since
    depot_case = depot.git("rev-parse", "main").strip()
    # octo/shop's case is an older one: its installation only in the webhook's metadata.
    await record(store, "octo/shop", shop_case, in_metadata=INSTALLATION_ID)
    await record(store, "octo/depot", depot_case, in_payload=DEPOT_INSTALLATION)
    checkouts = AppCheckouts(github_app, store)

    await checkouts.check_out("octo/shop", shop_case, tmp_path / "shop-case")
    await checkouts.check_out("octo/depot", depot_case, tmp_path / "depot-case")

    assert head_of(tmp_path / "shop-case") == shop_case
    assert not (tmp_path / "shop-case" / "NOTES.md").exists()
    assert (tmp_path / "depot-case" / "depot/stock.py").read_text() == DEPOT_FILES["depot/stock.py"]
    # Each repository was read with its own installation's token, and cloned with it (the fake
    # serves git only to a token of the repository's installation).
    reads = {r.path: r.auth for r in fake_github.calls("GET", "/repos/octo/")}
    assert reads == {
        "/repos/octo/shop": f"token:{INSTALLATION_ID}",
        "/repos/octo/depot": f"token:{DEPOT_INSTALLATION}",
    }
    assert [path for _, path in fake_github.git_requests if "upload-pack" in path]


async def test_a_repository_the_app_cannot_read_is_skipped_with_its_reason_and_counted(
    fake_github: FakeGitHub, shop: FakeRepository, github_app: GitHubApp
) -> None:
    store = InMemoryEventStore()
    head = shop.git("rev-parse", "main").strip()
    await record(store, "octo/legacy", "b" * 40)  # recorded before cases kept an installation
    await record(store, "octo/uninstalled", "c" * 40, in_payload=99)  # the App was removed
    await record(store, "octo/moved", "d" * 40, in_payload=INSTALLATION_ID)  # left the install
    await record(store, "octo/shop", head, in_payload=INSTALLATION_ID)
    source = RecordedSource(AppCheckouts(github_app, store), max_cases=10)

    async with source.open(await store.read_all()) as prepared:
        assert [case.name for case in prepared.cases] == ["octo/shop#case-shop"]
        summary = prepared.summary()

    assert summary["replayed"] == 1 and summary["skipped"] == 3
    reasons = summary["skip_reasons"]
    assert "no installation was recorded for octo/legacy" in reasons["octo/legacy#case-legacy"]
    assert (
        "can no longer read octo/uninstalled through installation 99"
        in reasons["octo/uninstalled#case-uninstalled"]
    )
    assert "404" in reasons["octo/uninstalled#case-uninstalled"]
    assert (
        f"can no longer read octo/moved through installation {INSTALLATION_ID}"
        in reasons["octo/moved#case-moved"]
    )
    assert not any(token in str(reasons) for token in fake_github.tokens)


async def test_an_unreadable_repository_is_asked_of_github_once_per_run(
    fake_github: FakeGitHub, shop: FakeRepository, github_app: GitHubApp, tmp_path: Path
) -> None:
    store = InMemoryEventStore()
    await record(store, "octo/moved", "d" * 40, in_payload=INSTALLATION_ID)
    checkouts = AppCheckouts(github_app, store)

    for attempt in range(3):
        with pytest.raises(PermanentError, match="can no longer read octo/moved"):
            await checkouts.check_out("octo/moved", "d" * 40, tmp_path / f"try-{attempt}")

    assert len(fake_github.calls("GET", "/repos/octo/moved")) == 1
