"""The repository dashboard issue: what it shows of the healing log, and how it is kept
current on GitHub — created once, written only when it changed, never where unasked-for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.events import Event, EventMetadata, EventType, InMemoryEventStore
from app.github.client import GitHubApp
from app.github.config import parse_repo_config
from app.github.dashboard_issue import (
    DASHBOARD_LABEL,
    DASHBOARD_TITLE,
    RepositoryDashboard,
    digest_of,
    project_repository,
    render_dashboard,
)
from app.github.errors import GitHubPermissionError
from app.github.repo_configs import RepoConfigs
from tests.github.conftest import INSTALLATION_ID
from tests.github.fake_github import FakeGitHub, FakeRepository

REPO = "octo/shop"
PULL = "https://github.test/octo/shop/pull/1001"
START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def healing(
    kind: str, minute: int, cause: Event | None = None, repository: str = REPO, **payload: Any
) -> Event:
    metadata = EventMetadata(
        installation_id=INSTALLATION_ID, causation_id=cause.id if cause is not None else None
    )
    return Event(
        type=kind,
        source="kintsugi.github",
        payload={"repository": repository, **payload},
        metadata=metadata,
        occurred_at=START + timedelta(minutes=minute),
    )


def opened_case(minute: int, fingerprint: str, incident: str, case: str) -> Event:
    return healing(
        EventType.HEALING_CASE_OPENED,
        minute,
        case_id=case,
        fingerprint=fingerprint,
        incident=incident,
        source="traceback",
    )


def pull_opened(minute: int, fingerprint: str, case: str, url: str = PULL) -> Event:
    return healing(
        EventType.HEALING_PR_OPENED,
        minute,
        case_id=case,
        fingerprint=fingerprint,
        confidence=0.82,
        pull_url=url,
    )


def history() -> list[Event]:
    return [
        opened_case(0, "fp-qty", "KeyError: 'qty' in total", "case-1"),
        pull_opened(5, "fp-qty", "case-1"),
        opened_case(10, "fp-qty", "KeyError: 'qty' in total", "case-2"),
        healing(
            EventType.HEALING_PR_UPDATED,
            11,
            case_id="case-2",
            fingerprint="fp-qty",
            confidence=0.82,
            pull_url=PULL,
        ),
        opened_case(20, "fp-div", "ZeroDivisionError in average @alice", "case-3"),
        healing(EventType.HEALING_FIX_NOT_FOUND, 25, case_id="case-3", fingerprint="fp-div"),
        opened_case(30, "fp-old", "TypeError in legacy", "case-4"),
        pull_opened(31, "fp-old", "case-4", "https://github.test/octo/shop/pull/900"),
        healing(
            EventType.HEALING_PR_MERGED,
            40,
            fingerprint="fp-old",
            pull_url="https://github.test/octo/shop/pull/900",
        ),
        healing(
            EventType.HEALING_CASE_OPENED,
            50,
            repository="octo/other",
            case_id="case-9",
            fingerprint="fp-else",
            incident="someone else's failure",
        ),
    ]


def test_the_body_lists_open_pull_requests_open_cases_and_recently_closed_ones() -> None:
    body = render_dashboard(project_repository(REPO, history()))

    open_pulls, rest = body.split("## Open cases")
    cases, closed = rest.split("## Recently closed")
    assert f"| {PULL} | `KeyError: 'qty' in total` | 0.82 | 1 |" in open_pulls
    # A failure with a pull request is shown by it; the case without one, with its status.
    assert "KeyError" not in cases and "TypeError" not in cases
    assert "| `ZeroDivisionError in average @alice` | traceback | no fix found |" in cases
    assert "- https://github.test/octo/shop/pull/900: merged 2026-11-01" in closed
    assert "`TypeError in legacy`" in closed
    assert "someone else" not in body
    assert "`dashboard: false` in `.github/kintsugi.yml`" in body


def test_the_same_events_render_the_same_body_and_a_new_fact_changes_its_digest() -> None:
    events = history()
    body = render_dashboard(project_repository(REPO, events))
    assert body == render_dashboard(project_repository(REPO, list(events)))
    merged = healing(EventType.HEALING_PR_MERGED, 60, fingerprint="fp-qty", pull_url=PULL)
    changed = render_dashboard(project_repository(REPO, [*events, merged]))
    assert digest_of(body) is not None and digest_of(changed) is not None
    assert digest_of(body) != digest_of(changed)
    assert "None." in changed.split("## Open cases")[0]  # no open pull request left


def test_a_reverted_fix_is_listed_as_merged_then_reverted() -> None:
    reverted = healing(
        EventType.HEALING_PR_REVERTED,
        45,
        fingerprint="fp-old",
        pull_url="https://github.test/octo/shop/pull/900",
    )

    body = render_dashboard(project_repository(REPO, [*history(), reverted]))

    closed = body.split("## Recently closed")[1]
    assert "- https://github.test/octo/shop/pull/900: merged, then reverted 2026-11-01" in closed


def test_secrets_and_markup_in_exception_text_do_not_reach_the_issue() -> None:
    secret = "sk-live-0123456789abcdef"
    events = [opened_case(0, "fp", f"ValueError: bad key {secret} | `rm` <b>x</b>", "case-1")]
    body = render_dashboard(project_repository(REPO, events), secrets=[secret])
    assert secret not in body and "[redacted]" in body
    [row] = [line for line in body.splitlines() if "ValueError" in line]
    assert row.count("`") == 4 and row.count("|") == 5  # one code span per cell, table intact


@pytest.fixture
def configured(shop: FakeRepository) -> FakeRepository:
    shop.commit("main", {".github/kintsugi.yml": "labels: [kintsugi]\n"}, "configure Kintsugi")
    return shop


def issue_writes(fake: FakeGitHub) -> list[tuple[str, str]]:
    return [
        (r.method, r.path)
        for r in fake.requests
        if "/issues" in r.path and r.method in ("POST", "PATCH")
    ]


async def dashboard_for(github_app: GitHubApp, events: list[Event]) -> RepositoryDashboard:
    store = InMemoryEventStore()
    for event in events:
        await store.append(f"healing-{event.payload.get('fingerprint')}", event)
    # Small pages, so the log is read across several of them.
    return RepositoryDashboard(github_app, store, RepoConfigs(github_app), page_size=3)


async def test_the_issue_is_created_then_updated_then_left_alone_when_unchanged(
    fake_github: FakeGitHub, github_app: GitHubApp, configured: FakeRepository
) -> None:
    events = history()
    dashboard = await dashboard_for(github_app, events)
    await dashboard(events[1])

    [issue] = configured.issues
    assert issue["title"] == DASHBOARD_TITLE
    assert [label["name"] for label in issue["labels"]] == [DASHBOARD_LABEL]
    assert PULL in issue["body"] and issue["user"]["type"] == "Bot"
    assert issue_writes(fake_github) == [("POST", "/repos/octo/shop/issues")]

    merged = healing(EventType.HEALING_PR_MERGED, 60, fingerprint="fp-qty", pull_url=PULL)
    await dashboard.store.append("healing-fp-qty", merged)
    await dashboard(merged)
    assert len(configured.issues) == 1
    assert f"- {PULL}: merged" in configured.issues[0]["body"]
    number = configured.issues[0]["number"]
    assert issue_writes(fake_github)[1:] == [("PATCH", f"/repos/octo/shop/issues/{number}")]

    # The job again: the same body, known to be shown, costs no call at all.
    before = len(fake_github.requests)
    await dashboard(merged)
    assert len(fake_github.requests) == before
    # Another process (no cached digest) reads the issue, sees the same digest, writes nothing.
    other = RepositoryDashboard(github_app, dashboard.store, RepoConfigs(github_app))
    await other(merged)
    assert len(fake_github.calls("GET", "/repos/octo/shop/issues")) == 3
    assert len(issue_writes(fake_github)) == 2


async def test_a_repository_that_opted_out_or_never_configured_kintsugi_gets_no_issue(
    fake_github: FakeGitHub, github_app: GitHubApp, shop: FakeRepository
) -> None:
    events = history()
    dashboard = await dashboard_for(github_app, events)
    await dashboard(events[1])  # no .github/kintsugi.yml
    shop.commit("main", {".github/kintsugi.yml": "dashboard: false\n"}, "no dashboard, thanks")
    await RepositoryDashboard(github_app, dashboard.store, RepoConfigs(github_app))(events[1])

    assert shop.issues == []
    assert fake_github.calls("GET", "/repos/octo/shop/issues") == []


async def test_a_webhook_refreshes_the_dashboards_its_healing_changed_and_no_other(
    fake_github: FakeGitHub, github_app: GitHubApp, configured: FakeRepository
) -> None:
    comment = Event(
        type=EventType.GITHUB_ISSUE_COMMENT_CREATED,
        source="github",
        payload={"repository": {"full_name": REPO}},
        metadata=EventMetadata(installation_id=INSTALLATION_ID),
    )
    quiet = comment.model_copy(update={"id": Event(type="x", source="y").id})
    caused = [
        healing(EventType.HEALING_CASE_OPENED, 0, comment, case_id="c", fingerprint="f"),
        healing(
            EventType.HEALING_PR_OPENED,
            1,
            comment,
            case_id="c",
            fingerprint="f",
            pull_url=PULL,
            confidence=0.9,
        ),
    ]
    dashboard = await dashboard_for(github_app, caused)

    await dashboard(quiet)  # a comment that healed nothing
    assert configured.issues == []
    await dashboard(comment)
    [issue] = configured.issues
    assert f"| {PULL} |" in issue["body"] and "| 0.90 |" in issue["body"]


async def test_a_refused_issue_write_fails_its_own_job_but_not_the_healing_job_it_rides(
    fake_github: FakeGitHub, github_app: GitHubApp, configured: FakeRepository
) -> None:
    comment = Event(
        type=EventType.GITHUB_ISSUE_COMMENT_CREATED,
        source="github",
        metadata=EventMetadata(installation_id=INSTALLATION_ID),
    )
    opened = healing(EventType.HEALING_PR_OPENED, 1, comment, fingerprint="f", pull_url=PULL)
    dashboard = await dashboard_for(github_app, [opened])

    fake_github.fail_next("POST", "/repos/octo/shop/issues", 403, times=2)
    await dashboard(comment)  # logged, not raised: a retry would heal all over again
    with pytest.raises(GitHubPermissionError):
        await dashboard(opened)
    assert configured.issues == []
    await dashboard(opened)  # the retry
    assert len(configured.issues) == 1


def test_the_dashboard_is_on_by_default_and_turned_off_in_the_config() -> None:
    assert parse_repo_config("labels: [kintsugi]\n").config.dashboard is True
    off = parse_repo_config("dashboard: false\n")
    assert off.config.dashboard is False and off.problems == []
