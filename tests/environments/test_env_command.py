"""`kintsugi env PATH`: the recipe found, the environment built then reused, and the exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.settings import get_settings
from tests.environments.conftest import src_layout_repository, write_tree

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: object) -> Iterator[Path]:
    monkeypatch.setenv("ENVIRONMENT_CACHE_DIR", str(tmp_path / "cache"))
    get_settings.cache_clear()
    yield tmp_path / "cache"
    get_settings.cache_clear()


def _env(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["env", str(repo), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_passing_repository_is_built_once_then_reused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = src_layout_repository(tmp_path / "repo")
    code, first = _env(repo, capsys)
    assert code == 0, first
    recipe, environment, tests = first["recipe"], first["environment"], first["tests"]
    assert isinstance(recipe, dict) and isinstance(environment, dict)
    assert [step["kind"] for step in recipe["steps"]] == ["project"]
    assert "pyproject.toml" in recipe["steps"][0]["source"]
    assert environment["built"] is True
    assert tests == {**tests, "passed": 1, "failed": 0, "errors": 0, "skipped": 0}
    code, second = _env(repo, capsys)
    assert code == 0
    again = second["environment"]
    assert isinstance(again, dict)
    assert again["built"] is False and again["key"] == environment["key"]
    assert again["ready_seconds"] < 1.0


def test_failing_tests_exit_1_with_the_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = src_layout_repository(tmp_path / "repo")
    write_tree(repo, {"tests/test_more.py": "def test_bad():\n    assert False\n"})
    code, result = _env(repo, capsys)
    assert code == 1
    assert result["tests"] == {**result["tests"], "passed": 1, "failed": 1}  # type: ignore[dict-item]


def test_an_environment_that_cannot_be_built_exits_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = src_layout_repository(tmp_path / "repo", dependency="no-such-package-kintsugi-test")
    code, result = _env(repo, capsys)
    assert code == 2
    assert "environment build failed" in str(result["error"])
    assert "no-such-package-kintsugi-test" in str(result["output"])


def test_no_tests_collected_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = src_layout_repository(tmp_path / "repo")
    for test in (repo / "tests").iterdir():
        test.unlink()
    code, result = _env(repo, capsys)
    assert code == 2
    assert "no tests were collected" in str(result["error"])


def test_the_checkouts_config_overrides_what_is_found_as_healing_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_tree(
        tmp_path / "repo",
        {
            ".github/kintsugi.yml": "environment:\n  test_command: SHOP_MODE=strict pytest unit\n",
            "unit/test_mode.py": "import os\n\ndef test_mode():\n"
            "    assert os.environ['SHOP_MODE'] == 'strict'\n",
            "other/test_ignored.py": "def test_ignored():\n    assert False\n",
        },
    )
    code, result = _env(repo, capsys)
    assert code == 0, result
    recipe = result["recipe"]
    assert isinstance(recipe, dict)
    assert recipe["test_command"] == "pytest unit"
    assert recipe["test_env"] == {"SHOP_MODE": "strict"}
    assert recipe["test_source"] == ".github/kintsugi.yml environment.test_command"
    assert result["tests"] == {**result["tests"], "passed": 1, "failed": 0}  # type: ignore[dict-item]
