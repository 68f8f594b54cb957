"""Each dashboard page shows what the event log holds, escaped and with secrets redacted; the
retry button hands a dead letter back to the workers for real."""

from __future__ import annotations

import re

import httpx

from app.events.store import OutboxStatus
from app.services import Services
from tests.api.conftest import GITHUB_SECRET
from tests.dashboard.conftest import (
    DOOMED,
    Outage,
    csrf_of,
    dead_letter,
    store_event,
    wait_for_status,
)


async def test_overview_counts_events_by_type_and_the_outbox(
    signed_in: httpx.AsyncClient, services: Services
) -> None:
    for _ in range(3):
        await store_event(services, "github.issues.opened", {"action": "opened"})
    await store_event(services, "function.invoked", {"function": "greet"})
    await dead_letter(services)

    page = (await signed_in.get("/dashboard")).text

    assert re.search(r"<code>github.issues.opened</code></td><td class=\"num\">3<", page)
    assert re.search(r"<code>function.invoked</code></td><td class=\"num\">1<", page)
    # the doomed event and the job.dead_lettered notice the worker appended
    assert re.search(r"<code>job.dead_lettered</code></td><td class=\"num\">1<", page)
    assert re.search(r"<tr><td>dead</td><td class=\"num\">1</td></tr>", page)
    assert "in-process" in page
    assert "sqlite" in page


async def test_empty_sections_say_so(signed_in: httpx.AsyncClient) -> None:
    expected = {
        "/dashboard": "No events stored yet.",
        "/dashboard/events": "No events stored yet.",
        "/dashboard/dead-letters": "No dead letters",
        "/dashboard/installations": "No installations yet",
        "/dashboard/healing": "No healing cases yet.",
        "/dashboard/evolution": "No evolution events yet",
        "/dashboard/functions": "No function invocations yet.",
    }
    for path, sentence in expected.items():
        response = await signed_in.get(path)
        assert response.status_code == 200, path
        assert sentence in response.text, path


async def test_live_feed_returns_only_events_after_the_position_asked_for(
    signed_in: httpx.AsyncClient, services: Services
) -> None:
    first = await store_event(services, "github.ping", {"zen": "Keep it logically awesome."})
    second = await store_event(
        services, "github.push", {"ref": "refs/heads/main"}, installation_id=7
    )

    everything = (await signed_in.get("/dashboard/api/events?after=0")).json()
    newer = (await signed_in.get(f"/dashboard/api/events?after={first.position}")).json()

    assert [e["type"] for e in everything] == ["github.ping", "github.push"]
    assert newer == [
        {
            "position": second.position,
            "id": str(second.id),
            "type": "github.push",
            "source": "tests",
            "stream": second.stream,
            "installation_id": 7,
            "occurred_at": second.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "url": f"/dashboard/events/{second.id}",
        }
    ]


async def test_event_page_pretty_prints_the_payload_with_secrets_redacted(
    signed_in: httpx.AsyncClient, services: Services
) -> None:
    event = await store_event(
        services,
        "github.issue_comment.created",
        {
            "comment": {"body": f"/heal please, the secret is {GITHUB_SECRET}"},
            "installation": {"id": 42, "access_token": "ghs_16C7e42F292c6912E7710c838347Ae178B4a"},
            "repository": {"full_name": "octo/cat", "private": False},
        },
    )

    page = (await signed_in.get(f"/dashboard/events/{event.id}")).text

    assert "&#34;full_name&#34;: &#34;octo/cat&#34;" in page  # indented JSON, escaped
    assert "&#34;private&#34;: false" in page
    assert "/heal please, the secret is [redacted]" in page
    assert "&#34;access_token&#34;: &#34;[redacted]&#34;" in page
    assert GITHUB_SECRET.replace("'", "&#39;") not in page
    assert "ghs_16C7e42F" not in page
    assert (await signed_in.get("/dashboard/events/not-a-uuid")).status_code == 404


async def test_event_data_cannot_inject_markup(
    signed_in: httpx.AsyncClient, services: Services
) -> None:
    attack = "<script>alert(1)</script>"
    event = await store_event(services, f"github.{attack}", {"title": attack}, stream=attack)

    for path in ("/dashboard", "/dashboard/events", f"/dashboard/events/{event.id}"):
        page = (await signed_in.get(path)).text
        assert attack not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path


async def test_retry_button_revives_a_dead_letter_and_the_workers_handle_it(
    signed_in: httpx.AsyncClient, services: Services, outage: Outage
) -> None:
    event = await dead_letter(services)
    page = (await signed_in.get("/dashboard/dead-letters")).text
    assert f'action="/dashboard/dead-letters/{event.id}/retry"' in page
    assert "PermanentError: the downstream service is broken" in page

    outage.broken = False  # the operator fixed the cause
    response = await signed_in.post(
        f"/dashboard/dead-letters/{event.id}/retry", data={"csrf": csrf_of(page)}
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/dashboard/dead-letters?revived={event.id}"
    await wait_for_status(services, event.id, OutboxStatus.DONE)
    assert outage.handled == [event.id]
    entry = await services.store.outbox_get(event.id)
    assert entry is not None and entry.rounds == 1
    after = (await signed_in.get(response.headers["location"])).text
    assert "is handed back to the workers" in after
    assert "No dead letters" in after


async def test_retrying_what_is_no_longer_dead_changes_nothing(
    signed_in: httpx.AsyncClient, services: Services
) -> None:
    event = await store_event(services, "github.ping", {}, outbox=True)
    await wait_for_status(services, event.id, OutboxStatus.DONE)
    page = (await signed_in.get("/dashboard")).text
    response = await signed_in.post(
        f"/dashboard/dead-letters/{event.id}/retry", data={"csrf": csrf_of(page)}
    )
    assert response.headers["location"] == f"/dashboard/dead-letters?not_dead={event.id}"
    entry = await services.store.outbox_get(event.id)
    assert entry is not None and entry.status == OutboxStatus.DONE and entry.rounds == 0


async def test_healing_evolution_and_function_pages_show_their_projections(
    signed_in: httpx.AsyncClient, services: Services
) -> None:
    case = {"case_id": "case-7f3a", "fingerprint": "fp-1"}
    await store_event(
        services,
        "healing.case_opened",
        {**case, "incident": "KeyError: 'user'", "source": "sentry"},
    )
    await store_event(
        services,
        "healing.fix_validated",
        {**case, "confidence": 0.82, "root_cause": "missing key", "evidence": {"before": 1}},
    )
    await store_event(
        services,
        "healing.pr_opened",
        {**case, "pr_url": "https://github.com/octo/cat/pull/12"},
    )
    await store_event(services, "evolution.variant_promoted", {"variant": "v2", "stage": "canary"})
    for ms in (10, 20, 30):
        await store_event(
            services, "function.invoked", {"function": "greet", "execution_time_ms": ms}
        )
    await store_event(
        services, "function.invoked", {"function": "greet", "execution_time_ms": 900, "error": "x"}
    )

    healing = (await signed_in.get("/dashboard/healing")).text
    assert "case-7f3a" in healing and "pull request open" in healing
    assert 'href="https://github.com/octo/cat/pull/12"' in healing
    assert "82%" in healing and "KeyError: &#39;user&#39;" in healing
    evolution = (await signed_in.get("/dashboard/evolution")).text
    assert "<strong>canary</strong>" in evolution and "variant promoted" in evolution
    functions = (await signed_in.get("/dashboard/functions")).text
    assert re.search(r"<code>greet</code>.*?>4<.*?>1<.*?20.0 ms.*?900.0 ms", functions, re.S)
    assert DOOMED not in functions
