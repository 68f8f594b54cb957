"""`kintsugi evolve`: a progress display, a table, and --dry-run that records nothing."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.evolution.corpus import default_corpus_path
from app.settings import get_settings

pytestmark = pytest.mark.sandbox


@pytest.fixture
def one_case_corpus(tmp_path: Path) -> Path:
    corpus = default_corpus_path()
    assert corpus is not None
    target = tmp_path / "corpus" / "crashes" / "key_error"
    shutil.copytree(corpus / "crashes" / "key_error", target)
    return tmp_path / "corpus"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    get_settings.cache_clear()
    yield tmp_path / "data" / "kintsugi.db"
    get_settings.cache_clear()


def test_dry_run_replays_and_reports_but_records_nothing(
    database: Path, one_case_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["evolve", "--dry-run", "--json", "--corpus", str(one_case_corpus), "--challengers", "1"]
    )

    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["dry_run"] is True
    assert result["cases"] == ["key_error"]
    assert result["incumbent_replay"]["fixed"] == 1
    assert len(result["challengers"]) == 1
    assert main(["events", "count"]) == 0
    assert capsys.readouterr().out.strip() == "0"


def test_a_real_run_records_its_replay_and_prints_a_table(
    database: Path, one_case_corpus: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["evolve", "--corpus", str(one_case_corpus), "--challengers", "1"])

    assert code == 0
    out = capsys.readouterr().out
    assert "evolution: no_improvement" in out
    assert "(active)" in out and "1/1" in out
    assert main(["events", "count", "--type", "evolution.replay_completed"]) == 0
    assert capsys.readouterr().out.strip() == "1"


def test_without_an_app_the_run_says_it_replays_the_corpus_only(
    database: Path,
    one_case_corpus: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    monkeypatch.delenv("GITHUB_APP_PRIVATE_KEY", raising=False)
    monkeypatch.delenv("GITHUB_APP_PRIVATE_KEY_PATH", raising=False)

    code = main(["evolve", "--dry-run", "--json", "--corpus", str(one_case_corpus)])

    assert code == 0
    captured = capsys.readouterr()
    assert "replaying the corpus only: no GitHub App is configured" in captured.err
    result = json.loads(captured.out)
    assert result["cases"] == ["key_error"] and "recorded" not in result
