"""End to end: the nightly cron job replays a case recorded by a real `/heal` — checked out at
its commit through the installation that recorded it — alongside a corpus sample, and the
`evolution.replay_completed` it records names both; a case of a repository the App can no
longer read is skipped and counted there, not fatal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.events import Event, EventType
from app.evolution.corpus import default_corpus_path
from tests.api.conftest import Hooks
from tests.e2e.test_heal_command import comment_payload, handled, hooks
from tests.github.conftest import SHOP_TRACEBACK
from tests.github.fake_github import FakeGitHub, FakeRepository
from workers.arq_worker import evolve_nightly

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

__all__ = ["hooks"]


@pytest.fixture
def one_case_corpus(tmp_path: Path) -> Path:
    corpus = default_corpus_path()
    assert corpus is not None
    shutil.copytree(corpus / "crashes" / "key_error", tmp_path / "corpus" / "crashes" / "key_error")
    return tmp_path / "corpus"


async def test_the_nightly_run_replays_recorded_cases_of_installed_repositories_with_the_corpus(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository, one_case_corpus: Path
) -> None:
    store = hooks.services.store
    heal = comment_payload(fake_github, shop, "maintainer", f"/heal\n{SHOP_TRACEBACK}", 901)
    await hooks.github("issue_comment", heal)
    await handled(hooks.services)
    [opened] = await store.read_all(types=[EventType.HEALING_CASE_OPENED])
    assert opened.payload["installation_id"] == shop.installation_id
    shop.commit("main", {"NOTES.md": "later work\n"}, "later work")  # main moved on since
    # A case of a repository whose installation has since been removed.
    gone = opened.payload | {
        "case_id": "case-gone",
        "repository": "octo/gone",
        "installation_id": 99,
        "fingerprint": "g" * 16,
    }
    await store.append(
        "healing-gone", Event(type=EventType.HEALING_CASE_OPENED, source="test", payload=gone)
    )
    settings = hooks.services.settings.model_copy(
        update={
            "evolution_corpus_path": one_case_corpus,
            "evolution_challengers": 1,
            "evolution_recorded_cases": 5,
            "llm_model": None,
        }
    )

    # As the worker's start-up holds them: the store, and the one environment cache, in which
    # both the corpus case and the recorded one replay.
    ctx = {"settings": settings, "store": store, "environments": hooks.services.environments}
    status = await evolve_nightly(ctx)

    assert status in {"no_improvement", "promoted"}
    [replay] = await store.read_all(types=[EventType.EVOLUTION_REPLAY_COMPLETED])
    recorded_name = f"octo/shop#{opened.payload['case_id']}"
    assert replay.payload["cases_replayed"] == ["key_error", recorded_name]
    assert replay.payload["recorded"]["replayed"] == 1
    assert replay.payload["recorded"]["skipped"] == 1
    reason = replay.payload["recorded"]["skip_reasons"]["octo/gone#case-gone"]
    assert "can no longer read octo/gone through installation 99" in reason
    incumbent = replay.payload["outcomes"][replay.payload["variant"]]
    assert incumbent["key_error"]["fixed"] is True
    assert incumbent[recorded_name]["fixed"] is True
    assert incumbent[recorded_name]["location"] == "shop/orders.py:2"
    # Tokens were asked for the installation that recorded each case, and for no other.
    minted = {r.path for r in fake_github.requests if r.path.endswith("/access_tokens")}
    assert minted == {
        f"/app/installations/{shop.installation_id}/access_tokens",
        "/app/installations/99/access_tokens",
    }
    tokens = set(fake_github.tokens)
    assert not any(token in json.dumps(replay.payload) for token in tokens)
