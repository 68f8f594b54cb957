"""`kintsugi evolve` with a GitHub App configured: the corpus sample plus the recorded cases of
every repository, cloned through the fake GitHub; the run says what it replays and which
recorded cases it skipped."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.database import create_engine, ensure_schema
from app.events import Event, EventType
from app.events.sql import SqlEventStore
from app.evolution.corpus import default_corpus_path
from app.healing.incidents import incident_from_traceback
from app.settings import get_settings
from tests.evolution.test_recorded import TRACEBACK, as_logged
from tests.github.conftest import APP_ID
from tests.github.fake_github import FakeGitHub, FakeRepository

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


@pytest.fixture
def app_environment(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_github: FakeGitHub,
    app_key: tuple[str, str],
) -> Iterator[Path]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("GITHUB_APP_PRIVATE_KEY_PATH", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GITHUB_APP_ID", str(APP_ID))
    monkeypatch.setenv("GITHUB_APP_PRIVATE_KEY", app_key[0])
    monkeypatch.setenv("GITHUB_API_URL", fake_github.url)
    monkeypatch.setenv("LLM_MODEL", "")
    (tmp_path / "data").mkdir()
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def record_cases(cases: list[tuple[str, str, int]]) -> None:
    """`healing.case_opened` events for (repository, commit, installation), in the CLI's log."""

    async def write() -> None:
        engine = create_engine(get_settings().resolved_database_url)
        try:
            await ensure_schema(engine, auto_migrate=True)
            store = SqlEventStore(engine)
            for repository, commit, installation in cases:
                name = repository.split("/")[1]
                payload = {
                    "case_id": f"case-{name}",
                    "fingerprint": f"fp-{name}",
                    "incident_data": as_logged(incident_from_traceback(TRACEBACK)),
                    "test_command": "python -m pytest -q",
                    "repository": repository,
                    "commit": commit,
                    "installation_id": installation,
                }
                event = Event(type=EventType.HEALING_CASE_OPENED, source="test", payload=payload)
                await store.append(f"healing-{name}", event)
            await store.close()
        finally:
            await engine.dispose()

    asyncio.run(write())


def test_the_cli_replays_recorded_cases_through_the_app_and_names_the_skipped(
    app_environment: Path,
    shop: FakeRepository,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    corpus = default_corpus_path()
    assert corpus is not None
    shutil.copytree(corpus / "crashes" / "key_error", tmp_path / "corpus" / "crashes" / "key_error")
    head = shop.git("rev-parse", "main").strip()
    record_cases([("octo/gone", "a" * 40, 99), ("octo/shop", head, shop.installation_id)])

    corpus_dir = str(tmp_path / "corpus")
    code = main(["evolve", "--dry-run", "--json", "--challengers", "1", "--corpus", corpus_dir])

    assert code == 0
    captured = capsys.readouterr()
    assert "newest recorded cases of all repositories" in captured.err
    result = json.loads(captured.out)
    assert result["cases"] == ["key_error", "octo/shop#case-shop"]
    assert result["recorded"]["replayed"] == 1 and result["recorded"]["skipped"] == 1
    assert "installation 99" in result["recorded"]["skip_reasons"]["octo/gone#case-gone"]
    assert result["incumbent_replay"]["fixed"] == 2
