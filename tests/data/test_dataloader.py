"""`DataLoader`: batching of loads made together, the per-loader memo, and per-key errors."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import pytest

from app.data import DataLoader


class RecordingSource:
    """A batch function over a dict that records every batch of keys it was asked for."""

    def __init__(self, rows: Mapping[int, str]) -> None:
        self.rows = dict(rows)
        self.batches: list[list[int]] = []

    async def in_key_order(self, keys: list[int]) -> Sequence[str | Exception]:
        self.batches.append(keys)
        await asyncio.sleep(0)
        return [self.rows.get(k, ValueError(f"no row {k}")) for k in keys]

    async def as_mapping(self, keys: list[int]) -> Mapping[int, str]:
        self.batches.append(keys)
        return {k: self.rows[k] for k in keys if k in self.rows}


ROWS = {i: f"row-{i}" for i in range(1, 101)}


async def test_loads_started_together_reach_the_batch_function_as_one_call() -> None:
    source = RecordingSource(ROWS)
    loader = DataLoader(source.in_key_order)
    values = await asyncio.gather(*(loader.load(k) for k in (3, 1, 2)))
    assert values == ["row-3", "row-1", "row-2"]
    assert source.batches == [[3, 1, 2]]


async def test_load_many_keeps_key_order_and_makes_one_call() -> None:
    source = RecordingSource(ROWS)
    loader = DataLoader(source.in_key_order)
    assert await loader.load_many([5, 4, 6]) == ["row-5", "row-4", "row-6"]
    assert source.batches == [[5, 4, 6]]


async def test_tasks_created_in_a_loop_share_one_batch() -> None:
    source = RecordingSource(ROWS)
    loader = DataLoader(source.in_key_order)
    tasks = [asyncio.create_task(loader.load(k)) for k in range(1, 51)]
    assert await asyncio.gather(*tasks) == [f"row-{k}" for k in range(1, 51)]
    assert len(source.batches) == 1


async def test_loads_in_later_ticks_make_later_batches() -> None:
    source = RecordingSource(ROWS)
    loader = DataLoader(source.in_key_order)
    await loader.load(1)
    await loader.load(2)
    assert source.batches == [[1], [2]]


async def test_max_batch_size_splits_a_tick_into_several_calls() -> None:
    source = RecordingSource(ROWS)
    loader = DataLoader(source.in_key_order, max_batch_size=4)
    assert await loader.load_many(range(1, 11)) == [f"row-{k}" for k in range(1, 11)]
    assert source.batches == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]


async def test_repeated_keys_are_fetched_once_and_then_served_from_the_memo() -> None:
    source = RecordingSource(ROWS)
    loader = DataLoader(source.in_key_order)
    assert await loader.load_many([7, 7, 8, 7]) == ["row-7", "row-7", "row-8", "row-7"]
    assert await loader.load(8) == "row-8"
    assert source.batches == [[7, 8]]


async def test_without_the_memo_every_tick_fetches_again_but_a_batch_has_no_duplicates() -> None:
    source = RecordingSource(ROWS)
    loader = DataLoader(source.in_key_order, cache=False)
    await loader.load_many([7, 7, 8])
    await loader.load(7)
    assert source.batches == [[7, 8], [7]]


async def test_clear_forgets_a_key_and_prime_seeds_one() -> None:
    source = RecordingSource(ROWS)
    loader = DataLoader(source.in_key_order)
    assert await loader.load(1) == "row-1"
    source.rows[1] = "row-1-updated"
    assert await loader.load(1) == "row-1"
    loader.clear(1)
    assert await loader.load(1) == "row-1-updated"
    loader.prime(2, "primed").prime(2, "ignored: already primed")
    assert await loader.load(2) == "primed"
    assert source.batches == [[1], [1]]


async def test_an_exception_value_fails_only_its_own_key() -> None:
    source = RecordingSource(ROWS)
    loader = DataLoader(source.in_key_order)
    good, bad = await asyncio.gather(loader.load(1), loader.load(999), return_exceptions=True)
    assert good == "row-1"
    assert isinstance(bad, ValueError)
    assert str(bad) == "no row 999"
    assert len(source.batches) == 1


async def test_a_key_missing_from_a_mapping_result_fails_with_key_error_alone() -> None:
    source = RecordingSource(ROWS)
    loader = DataLoader(source.as_mapping)
    results = await loader.load_many([1, 404, 2], return_exceptions=True)
    assert results[0] == "row-1"
    assert results[2] == "row-2"
    assert isinstance(results[1], KeyError)
    with pytest.raises(KeyError):
        await loader.load_many([1, 404])


async def test_failures_are_not_memoised_so_a_later_load_retries() -> None:
    source = RecordingSource({})
    loader = DataLoader(source.in_key_order)
    with pytest.raises(ValueError):
        await loader.load(5)
    source.rows[5] = "now present"
    assert await loader.load(5) == "now present"
    assert source.batches == [[5], [5]]


async def test_a_raising_batch_function_fails_every_key_of_that_batch_only() -> None:
    calls: list[list[int]] = []

    async def flaky(keys: list[int]) -> list[int]:
        calls.append(keys)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return [k * 10 for k in keys]

    loader = DataLoader(flaky, max_batch_size=2)
    results = await loader.load_many([1, 2, 3], return_exceptions=True)
    assert [type(r) for r in results[:2]] == [ConnectionError, ConnectionError]
    assert results[2] == 30
    assert await loader.load_many([1, 2]) == [10, 20]


async def test_a_result_of_the_wrong_length_is_reported_for_every_key() -> None:
    async def short(keys: list[int]) -> list[int]:
        return keys[:-1]

    loader = DataLoader(short)
    with pytest.raises(ValueError, match="returned 1 values for 2 keys"):
        await loader.load_many([1, 2])


async def test_one_caller_cancelling_does_not_cancel_the_load_others_wait_for() -> None:
    release = asyncio.Event()
    calls = 0

    async def slow(keys: list[int]) -> list[str]:
        nonlocal calls
        calls += 1
        await release.wait()
        return [f"v{k}" for k in keys]

    loader = DataLoader(slow)
    impatient = asyncio.create_task(loader.load(1))
    patient = asyncio.create_task(loader.load(1))
    await asyncio.sleep(0.01)
    impatient.cancel()
    release.set()
    assert await patient == "v1"
    assert impatient.cancelled()
    assert await loader.load(1) == "v1"
    assert calls == 1


def test_max_batch_size_must_be_positive() -> None:
    async def never(keys: list[int]) -> list[int]:
        return keys

    with pytest.raises(ValueError, match="max_batch_size"):
        DataLoader(never, max_batch_size=0)
