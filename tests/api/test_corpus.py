"""Every real payload in the shared corpus is accepted and stored exactly once."""

from __future__ import annotations

import uuid

from tests.api.conftest import Hooks
from tests.conftest import CORPUS


async def test_every_github_example_is_stored_exactly_once(hooks: Hooks) -> None:
    examples = sorted((CORPUS / "github-webhooks").glob("*/*.json"))
    assert len(examples) == 273
    ids = set()
    for path in examples:
        delivery = str(uuid.uuid5(uuid.NAMESPACE_URL, str(path)))
        body = path.read_bytes()
        first = await hooks.github(path.parent.name, body, delivery=delivery)
        again = await hooks.github(path.parent.name, body, delivery=delivery)
        assert first.status_code == 202, (path, first.text)
        assert again.status_code == 200, (path, again.text)
        ids.add(first.json()["event_id"])

    assert len(ids) == 273
    assert await hooks.services.store.count() == 273
    unvalidated = [
        e for e in await hooks.services.store.read_all(limit=300) if e.metadata.validated is False
    ]
    assert len(unvalidated) > 0  # older real payloads fail githubkit's models and are kept


async def test_every_sentry_example_is_stored_exactly_once(hooks: Hooks) -> None:
    examples = sorted((CORPUS / "sentry-webhooks").glob("*/*.json"))
    assert len(examples) == 25
    for path in examples:
        body = path.read_bytes()
        first = await hooks.sentry(path.parent.name, body)
        retry = await hooks.sentry(path.parent.name, body)  # a new Request-ID, same delivery
        assert first.status_code == 202, (path, first.text)
        assert retry.status_code == 200, (path, retry.text)

    assert await hooks.services.store.count() == 25
    types = {e.type for e in await hooks.services.store.read_all(limit=100)}
    assert {"sentry.error.created", "sentry.event_alert.triggered", "sentry.issue.created"} <= types
