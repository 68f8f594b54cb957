"""Ranking by precedent: candidates like merged fixes of similar incidents are tried first,
candidates like rejected ones last, and without precedents nothing moves."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from app.data.fix_memory import FixMemory, FixOutcome, RememberedFix
from app.data.vector import QdrantStore
from app.healing.candidates import Candidate, TemplateStrategy
from app.healing.incidents import incident_from_traceback
from app.healing.localise import RepositoryFiles
from app.healing.pipeline import Healer
from app.healing.ranking import PrecedentRanking, change_features
from app.healing.runner import SandboxCommandRunner
from tests.healing.conftest import KINTSUGI_TESTS, write_repo

TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/shop/orders.py", line 2, in total\n'
    '    return order["price"] * order["qty"]\n'
    "KeyError: 'qty'\n"
)
PATH = "shop/orders.py"
SOURCE = 'def total(order, api_token):\n    return order["price"] * order["qty"]\n'


def past(default: str, outcome: FixOutcome) -> RememberedFix:
    """A fix of a similar crash in another module: a missing quantity read with `default`."""
    get = f'line.get("qty"{", " + default if default else ""})'
    return RememberedFix(
        incident_id=f"fp-invoices-{default or 'none'}",
        exception_type="KeyError",
        message="'qty'",
        frames=('File "/srv/app/shop/invoices.py", line 4, in subtotal',),
        code_context='return line["qty"] * line["unit_price"]',
        diff=(
            "--- a/shop/invoices.py\n+++ b/shop/invoices.py\n@@ -3,2 +3,2 @@\n"
            '-    return line["qty"] * line["unit_price"]\n'
            f'+    return {get} * line["unit_price"]\n'
        ),
        outcome=outcome,
        repository="octo/shop",
    )


class FailingMemory:
    """A fix memory that cannot be reached."""

    async def similar(self, incident_text: str, limit: int = 5) -> Sequence[object]:
        raise RuntimeError("qdrant is down")


@pytest.fixture
async def memory() -> AsyncIterator[FixMemory]:
    store = QdrantStore(":memory:")
    yield FixMemory(store)
    await store.close()


def candidates(files: RepositoryFiles) -> list[Candidate]:
    made = []
    for default in ("0", "", '""', "[]"):
        get = f'order.get("qty"{", " + default if default else ""})'
        text = SOURCE.replace('order["qty"]', get)
        made.append(Candidate("template", "missing_key", f"default {default}", {PATH: text}))
    return made


@pytest.fixture
def files(tmp_path: Path) -> RepositoryFiles:
    return RepositoryFiles(write_repo(tmp_path / "repo", {PATH: SOURCE}))


def test_change_features_are_the_tokens_removed_and_added() -> None:
    diff = '--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\n ctx = 1\n-a = b["k"]\n+a = b.get("k", 0)\n'

    # Words inside string literals count too: which key a fix reads matters.
    assert change_features(diff) == {"-a", "-b", "-k", "+a", "+b", "+get", "+k", "+0"}


async def test_a_candidate_like_a_merged_fix_of_a_similar_incident_comes_first(
    memory: FixMemory, files: RepositoryFiles
) -> None:
    await memory.remember(past("", FixOutcome.MERGED))
    ranking = await PrecedentRanking.recall(memory, incident_from_traceback(TRACEBACK), files)

    ordered = ranking.order(candidates(files), files)

    assert ranking.active and ranking.precedents[0].weight > 0.3
    assert ordered[0].description == "default "


async def test_a_candidate_like_a_rejected_fix_goes_last_and_the_rest_keep_their_order(
    memory: FixMemory, files: RepositoryFiles
) -> None:
    await memory.remember(past("0", FixOutcome.REJECTED))
    ranking = await PrecedentRanking.recall(memory, incident_from_traceback(TRACEBACK), files)

    ordered = ranking.order(candidates(files), files)

    assert ranking.precedents[0].weight < -0.3
    assert [c.description for c in ordered] == [
        "default ",
        'default ""',
        "default []",
        "default 0",
    ]


async def test_without_precedents_or_with_a_failing_memory_nothing_moves(
    memory: FixMemory, files: RepositoryFiles
) -> None:
    incident = incident_from_traceback(TRACEBACK)
    proposed = candidates(files)

    empty = await PrecedentRanking.recall(memory, incident, files)
    failing = await PrecedentRanking.recall(FailingMemory(), incident, files)  # type: ignore[arg-type]

    assert not empty.active and not failing.active
    assert empty.order(proposed, files) == failing.order(proposed, files) == proposed


async def test_dissimilar_incidents_are_no_precedent(
    memory: FixMemory, files: RepositoryFiles
) -> None:
    other = RememberedFix(
        incident_id="fp-mail",
        exception_type="SMTPAuthenticationError",
        message="535 authentication failed",
        frames=("mailer/transport.py:login",),
        diff="-    server.login(user, password)\n+    server.login(user, password.strip())\n",
        code_context="server.login(user, password)",
        outcome=FixOutcome.REJECTED,
    )
    await memory.remember(other)

    ranking = await PrecedentRanking.recall(memory, incident_from_traceback(TRACEBACK), files)

    assert not ranking.active


@pytest.mark.sandbox
@pytest.mark.parametrize(
    ("remembered", "chosen"),
    [
        ([], 'order.get("qty", 0)'),
        ([past("0", FixOutcome.REJECTED)], 'order.get("qty")'),
        ([past("", FixOutcome.MERGED)], 'order.get("qty")'),
        ([past("0", FixOutcome.MERGED), past("", FixOutcome.REJECTED)], 'order.get("qty", 0)'),
    ],
)
async def test_the_healer_tries_candidates_in_precedent_order(
    orders_repo: Path, memory: FixMemory, remembered: list[RememberedFix], chosen: str
) -> None:
    await memory.remember(*remembered)
    healer = Healer(SandboxCommandRunner(), [TemplateStrategy()], fix_memory=memory)

    result = await healer.heal(
        orders_repo, incident_from_traceback(TRACEBACK), tests=KINTSUGI_TESTS
    )

    # Every default passes the suite (a pasted traceback is not reproduced): the first tried wins.
    assert result.fix is not None
    assert f'+    return order["price"] * {chosen}\n' in result.fix.diff
