"""The nightly arq cron job runs the same evolution code as `kintsugi evolve`."""

from __future__ import annotations

from pathlib import Path

from app.environments.wiring import environment_cache
from app.events.memory import InMemoryEventStore
from app.events.model import EventType
from app.settings import Settings
from functions.sandbox import Sandbox
from workers.arq_worker import evolve_nightly, worker_options


def test_the_worker_schedules_evolution_at_the_configured_hour() -> None:
    settings = Settings(redis_url="redis://localhost:6379/0", evolution_cron_hour=4)

    (job,) = worker_options(settings)["cron_jobs"]

    assert job.coroutine is evolve_nightly
    assert (job.hour, job.minute) == (4, 0)
    assert job.timeout_s == settings.evolution_budget_seconds + 300


async def test_the_cron_job_evolves_against_the_workers_store(tmp_path: Path) -> None:
    store = InMemoryEventStore()
    empty_corpus = tmp_path / "corpus"
    empty_corpus.mkdir()
    settings = Settings(
        evolution_corpus_path=empty_corpus,
        llm_model=None,
        environment_cache_dir=tmp_path / "environments",
    )
    # What the worker's start-up puts beside the store: the environments cases replay in.
    environments = environment_cache(settings, Sandbox(allow_degraded=True))

    ctx = {"settings": settings, "store": store, "environments": environments}
    status = await evolve_nightly(ctx)

    assert status == "no_cases"
    assert await store.count(types=[EventType.EVOLUTION_VARIANT_PROMOTED]) == 0
