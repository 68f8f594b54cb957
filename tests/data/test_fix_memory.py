"""Fix memory on embedded Qdrant: similar past incidents and their fixes, recalled offline."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from app.data import HashingEmbedder
from app.data.fix_memory import (
    FixMemory,
    FixOutcome,
    RememberedFix,
    describe_incident,
    normalise_frame,
)
from app.data.vector import QdrantStore
from app.errors import ConfigurationError

NONE_ATTRIBUTE = RememberedFix(
    incident_id="inc-none-email",
    exception_type="AttributeError",
    message="'NoneType' object has no attribute 'email'",
    frames=('File "/srv/shop/app/users.py", line 88, in send_welcome_email',),
    code_context="    address = user.email.lower()",
    diff="-    address = user.email.lower()\n+    if user is None:\n+        return\n",
    outcome=FixOutcome.MERGED,
    repository="acme/shop",
    strategy="template:none_guard",
)
MISSING_KEY = RememberedFix(
    incident_id="inc-key-user-id",
    exception_type="KeyError",
    message="'user_id'",
    frames=("app/api/handlers.py:get_profile",),
    code_context='    user_id = payload["user_id"]',
    diff='-    user_id = payload["user_id"]\n+    user_id = payload.get("user_id")\n',
    outcome=FixOutcome.MERGED,
    repository="acme/api",
)
ZERO_DIVISION = RememberedFix(
    incident_id="inc-zero-average",
    exception_type="ZeroDivisionError",
    message="division by zero",
    frames=("app/stats.py:average",),
    code_context="    return total / count",
    diff="-    return total / count\n+    return total / count if count else 0.0\n",
    outcome=FixOutcome.MERGED,
    repository="acme/shop",
)
REJECTED_ZERO_DIVISION = RememberedFix(
    incident_id="inc-zero-average",
    exception_type="ZeroDivisionError",
    message="division by zero",
    frames=("app/stats.py:average",),
    code_context="    return total / count",
    diff="-    return total / count\n+    return total / (count + 1)\n",
    outcome=FixOutcome.REJECTED,
    repository="acme/shop",
)
INDEX_ERROR = RememberedFix(
    incident_id="inc-index-first-job",
    exception_type="IndexError",
    message="list index out of range",
    frames=("app/queue.py:first_job",),
    code_context="    return jobs[0]",
    diff="-    return jobs[0]\n+    return jobs[0] if jobs else None\n",
    outcome=FixOutcome.MERGED,
    repository="acme/worker",
)
PAST = [NONE_ATTRIBUTE, MISSING_KEY, ZERO_DIVISION, REJECTED_ZERO_DIVISION, INDEX_ERROR]


@pytest.fixture
async def memory() -> AsyncIterator[FixMemory]:
    store = QdrantStore(":memory:")
    memory = FixMemory(store)
    await memory.remember(*PAST)
    yield memory
    await store.close()


@pytest.mark.parametrize(
    ("incident", "expected"),
    [
        (
            describe_incident(
                "AttributeError",
                "'NoneType' object has no attribute 'email'",
                ['File "/home/ci/work/app/notify.py", line 12, in send_reset_email'],
                "    to = account.email",
            ),
            NONE_ATTRIBUTE,
        ),
        (
            describe_incident(
                "KeyError", "'user_id'", ["app/api/admin.py:get_settings"], 'payload["user_id"]'
            ),
            MISSING_KEY,
        ),
        (
            describe_incident(
                "IndexError", "list index out of range", ["worker/jobs.py:next_job"], "jobs[0]"
            ),
            INDEX_ERROR,
        ),
    ],
)
async def test_the_most_similar_past_incident_comes_first(
    memory: FixMemory, incident: str, expected: RememberedFix
) -> None:
    found = await memory.similar(incident, limit=3)
    assert found[0].fix == expected
    assert found[0].score > found[1].score


async def test_filtering_by_outcome_leaves_rejected_fixes_out(memory: FixMemory) -> None:
    text = describe_incident("ZeroDivisionError", "division by zero", ["app/stats.py:average"])
    every = await memory.similar(text, limit=2)
    assert {f.fix.outcome for f in every} == {FixOutcome.MERGED, FixOutcome.REJECTED}
    merged = await memory.similar(text, limit=5, outcome=FixOutcome.MERGED)
    assert merged[0].fix == ZERO_DIVISION
    assert all(f.fix.outcome is FixOutcome.MERGED for f in merged)


async def test_filtering_by_repository_recalls_only_that_repository(memory: FixMemory) -> None:
    found = await memory.similar("KeyError: 'user_id'", limit=10, repository="acme/worker")
    assert [f.fix for f in found] == [INDEX_ERROR]


async def test_remembering_the_same_fix_again_replaces_it(memory: FixMemory) -> None:
    assert await memory.count() == len(PAST)
    reverted = RememberedFix(**{**vars(INDEX_ERROR), "outcome": FixOutcome.REVERTED})
    await memory.remember(INDEX_ERROR, reverted)
    assert await memory.count() == len(PAST)
    [found] = await memory.similar(INDEX_ERROR.incident_text(), limit=1)
    assert found.fix.outcome is FixOutcome.REVERTED
    assert math.isclose(found.score, 1.0, abs_tol=1e-6)


async def test_forgotten_fixes_are_no_longer_recalled(memory: FixMemory) -> None:
    await memory.forget(MISSING_KEY)
    found = await memory.similar(MISSING_KEY.incident_text(), limit=10)
    assert MISSING_KEY not in [f.fix for f in found]
    assert await memory.count() == len(PAST) - 1


async def test_text_without_tokens_recalls_nothing(memory: FixMemory) -> None:
    assert await memory.similar("  12 : 34 ", limit=3) == []


async def test_memory_on_disk_survives_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "fix-memory")
    store = QdrantStore(path)
    await FixMemory(store).remember(*PAST)
    await store.close()

    reopened = QdrantStore(path)
    try:
        found = await FixMemory(reopened).similar(MISSING_KEY.incident_text(), limit=1)
        assert [f.fix for f in found] == [MISSING_KEY]
    finally:
        await reopened.close()


class TinyEmbedder:
    """Another embedder, to show the port is swappable and dimensions are checked."""

    dimension = 16

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[float(len(t) % 7 + 1)] + [0.0] * 15 for t in texts]


async def test_an_embedder_of_another_size_cannot_reuse_the_collection(memory: FixMemory) -> None:
    other = FixMemory(memory._store, TinyEmbedder())
    with pytest.raises(ConfigurationError, match="16"):
        await other.similar("KeyError", limit=1)
    separate = FixMemory(memory._store, TinyEmbedder(), collection="tiny")
    await separate.remember(MISSING_KEY)
    assert [f.fix for f in await separate.similar("anything", limit=1)] == [MISSING_KEY]


async def test_hashing_embedding_is_deterministic_and_unit_length() -> None:
    text = NONE_ATTRIBUTE.incident_text()
    [a] = await HashingEmbedder().embed([text])
    b = HashingEmbedder().vector(text)
    assert a == b
    assert len(a) == 1024
    assert math.isclose(math.fsum(x * x for x in a), 1.0)
    assert HashingEmbedder(64).vector("") == [0.0] * 64


def test_hashing_embedding_ignores_line_numbers_but_not_names() -> None:
    embedder = HashingEmbedder()
    base = embedder.vector("KeyError: 'user_id' at handlers.py line 10")
    moved = embedder.vector("KeyError: 'user_id' at handlers.py line 97")
    other = embedder.vector("KeyError: 'order_id' at handlers.py line 10")
    assert base == moved
    assert base != other


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ('File "/srv/shop/app/users.py", line 88, in send', "app/users.py:send"),
        (
            '  File "/venv/lib/python3.11/site-packages/requests/api.py", line 59, in get',
            "requests/api.py:get",
        ),
        ("app/stats.py:average", "app/stats.py:average"),
        ("C:\\work\\repo\\pkg\\mod.py:run", "pkg/mod.py:run"),
        ("stats.py", "stats.py"),
    ],
)
def test_frames_are_normalised_to_stable_path_and_function(frame: str, expected: str) -> None:
    assert normalise_frame(frame) == expected
