"""Per-function metrics: the invocation records, their aggregate, and the Prometheus view."""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from functions.invocation import InvocationRecord

FunctionKey = tuple[str | None, str]  # (repository, function name); None for in-process


@dataclass(frozen=True)
class FunctionStats:
    """The aggregate of one function's kept invocations."""

    invocations: int
    errors: int
    timeouts: int
    cold: int
    warm: int
    p50_ms: float
    p99_ms: float


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


class InvocationLog:
    """The most recent invocation records of every function, bounded per function."""

    def __init__(self, keep_per_function: int = 10_000) -> None:
        self._records: dict[FunctionKey, deque[InvocationRecord]] = defaultdict(
            lambda: deque(maxlen=keep_per_function)
        )
        # Totals survive the bound on kept records, so counters never go backwards.
        self._totals: dict[FunctionKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(self, record: InvocationRecord) -> None:
        key = (record.repository, record.function_name)
        self._records[key].append(record)
        totals = self._totals[key]
        totals[f"{record.status_code}/{record.start}"] += 1

    def records(self, key: FunctionKey) -> list[InvocationRecord]:
        return list(self._records.get(key, ()))

    def stats(self, key: FunctionKey) -> FunctionStats:
        records = self.records(key)
        durations = [record.execution_time_ms for record in records]
        return FunctionStats(
            invocations=len(records),
            errors=sum(1 for record in records if record.failed),
            timeouts=sum(1 for record in records if record.timed_out),
            cold=sum(1 for record in records if record.start == "cold"),
            warm=sum(1 for record in records if record.start == "warm"),
            p50_ms=percentile(durations, 0.50),
            p99_ms=percentile(durations, 0.99),
        )

    def function_keys(self) -> list[FunctionKey]:
        return list(self._records)

    def totals(self, key: FunctionKey) -> dict[str, int]:
        return dict(self._totals.get(key, {}))


class FunctionMetricsCollector(Collector):
    """Exposes the invocation log on /metrics, computed at scrape time."""

    def __init__(self, log: InvocationLog) -> None:
        self._log = log

    def collect(self) -> Iterator[Metric]:
        labels = ["repository", "function"]
        invocations = CounterMetricFamily(
            "kintsugi_function_invocations",
            "Function invocations by status code and start (in-process, cold, warm).",
            labels=[*labels, "status", "start"],
        )
        p50 = GaugeMetricFamily(
            "kintsugi_function_duration_p50_ms", "Median invocation time.", labels=labels
        )
        p99 = GaugeMetricFamily(
            "kintsugi_function_duration_p99_ms", "99th percentile invocation time.", labels=labels
        )
        for key in self._log.function_keys():
            names = [key[0] or "", key[1]]
            for bucket, count in self._log.totals(key).items():
                status, start = bucket.split("/")
                invocations.add_metric([*names, status, start], count)
            stats = self._log.stats(key)
            p50.add_metric(names, stats.p50_ms)
            p99.add_metric(names, stats.p99_ms)
        yield from (invocations, p50, p99)


def register_metrics(log: InvocationLog, registry: CollectorRegistry) -> Collector:
    """Add the function metrics to `registry` (the app passes prometheus_client's REGISTRY)."""
    collector = FunctionMetricsCollector(log)
    registry.register(collector)
    return collector
