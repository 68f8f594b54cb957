"""`DataLoader`: batches the loads made in one event-loop tick into one call, and memoises them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping, Sequence
from typing import Generic, Literal, TypeVar, overload

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# K before V: a generic alias takes its parameters in order of first appearance.
BatchResult = Mapping[K, V | Exception] | Sequence[V | Exception]
BatchFn = Callable[[list[K]], Awaitable[BatchResult[K, V]]]


class DataLoader(Generic[K, V]):
    """Collects `load(key)` calls made together and hands their keys to `batch_fn` at once.

    `batch_fn(keys)` gets distinct keys and returns either a sequence of values in the same
    order (the classic contract) or a mapping key → value, where a key left out fails with
    `KeyError` for that key alone. A value may be an `Exception` instance: that key fails,
    the others succeed. If `batch_fn` raises, every key of that batch fails with its error.

    With `cache=True` (the default) each key is fetched at most once per loader, so create one
    loader per request or job: it is a memo of what this unit of work has read, not a shared
    cache. Failed keys are not remembered, so a later `load` tries again.
    """

    def __init__(
        self,
        batch_fn: BatchFn[K, V],
        *,
        max_batch_size: int | None = None,
        cache: bool = True,
    ) -> None:
        if max_batch_size is not None and max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
        self._batch_fn = batch_fn
        self._max_batch_size = max_batch_size
        self._cache_enabled = cache
        self._cached: dict[K, asyncio.Future[V]] = {}
        self._queue: list[tuple[K, asyncio.Future[V]]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dispatch_scheduled = False
        self._batches: set[asyncio.Task[None]] = set()

    async def load(self, key: K) -> V:
        """The value for `key`, fetched together with every other key requested this tick."""
        # shield: one caller giving up must not cancel the future other callers share.
        return await asyncio.shield(self._future_for(key))

    @overload
    async def load_many(
        self, keys: Iterable[K], *, return_exceptions: Literal[False] = False
    ) -> list[V]: ...

    @overload
    async def load_many(
        self, keys: Iterable[K], *, return_exceptions: Literal[True]
    ) -> list[V | BaseException]: ...

    async def load_many(
        self, keys: Iterable[K], *, return_exceptions: bool = False
    ) -> list[V] | list[V | BaseException]:
        """Values in key order; the first failure is raised unless `return_exceptions`."""
        futures = [asyncio.shield(self._future_for(key)) for key in keys]
        if return_exceptions:
            return list(await asyncio.gather(*futures, return_exceptions=True))
        return list(await asyncio.gather(*futures))

    def prime(self, key: K, value: V) -> DataLoader[K, V]:
        """Seed the memo with a value read elsewhere; a key already loaded keeps its value.

        Without the memo (`cache=False`) there is nothing to seed and this does nothing.
        """
        if self._cache_enabled and key not in self._cached:
            future: asyncio.Future[V] = self._running_loop().create_future()
            future.set_result(value)
            self._cached[key] = future
        return self

    def clear(self, key: K) -> DataLoader[K, V]:
        """Forget one key, so the next `load` fetches it again (after a write, say)."""
        self._cached.pop(key, None)
        return self

    def clear_all(self) -> DataLoader[K, V]:
        self._cached.clear()
        return self

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Futures belong to one loop; a loader reused on a new loop starts afresh.
            self._loop = loop
            self._cached.clear()
            self._queue.clear()
            self._dispatch_scheduled = False
        return loop

    def _future_for(self, key: K) -> asyncio.Future[V]:
        loop = self._running_loop()
        if self._cache_enabled:
            cached = self._cached.get(key)
            if cached is not None:
                return cached
        future: asyncio.Future[V] = loop.create_future()
        if self._cache_enabled:
            self._cached[key] = future
        self._queue.append((key, future))
        if not self._dispatch_scheduled:
            self._dispatch_scheduled = True
            # call_soon runs after every callback already ready in this tick, so loads started
            # together (gather, a loop of create_task) all land in the same batch.
            loop.call_soon(self._dispatch)
        return future

    def _dispatch(self) -> None:
        queue, self._queue = self._queue, []
        self._dispatch_scheduled = False
        waiting: dict[K, list[asyncio.Future[V]]] = {}
        for key, future in queue:
            waiting.setdefault(key, []).append(future)
        keys = list(waiting)
        size = self._max_batch_size or len(keys) or 1
        loop = self._running_loop()
        for start in range(0, len(keys), size):
            chunk = keys[start : start + size]
            task = loop.create_task(self._run_batch(chunk, {k: waiting[k] for k in chunk}))
            self._batches.add(task)
            task.add_done_callback(self._batches.discard)

    async def _run_batch(self, keys: list[K], waiting: dict[K, list[asyncio.Future[V]]]) -> None:
        try:
            result = await self._batch_fn(list(keys))
            outcomes = _outcomes(keys, result)
        except asyncio.CancelledError:
            for futures in waiting.values():
                for future in futures:
                    future.cancel()
            for key in keys:
                self._forget_failed(key, waiting[key])
            raise
        except Exception as exc:
            logger.warning(
                "data loader batch failed",
                extra={"batch_size": len(keys), "error": type(exc).__name__},
            )
            outcomes = [exc] * len(keys)
        for key, outcome in zip(keys, outcomes, strict=True):
            for future in waiting[key]:
                if future.done():
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
            if isinstance(outcome, Exception):
                self._forget_failed(key, waiting[key])

    def _forget_failed(self, key: K, futures: list[asyncio.Future[V]]) -> None:
        if self._cached.get(key) in futures:
            del self._cached[key]


def _outcomes(keys: list[K], result: BatchResult[K, V]) -> list[V | Exception]:
    if isinstance(result, Mapping):
        return [result[key] if key in result else KeyError(key) for key in keys]
    if isinstance(result, str | bytes) or not isinstance(result, Sequence):
        raise TypeError(
            f"batch function must return a sequence or a mapping, got {type(result).__name__}"
        )
    if len(result) != len(keys):
        raise ValueError(
            f"batch function returned {len(result)} values for {len(keys)} keys; "
            "return one value per key in key order, or a mapping key → value"
        )
    return list(result)
