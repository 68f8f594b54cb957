"""`kintsugi functions list` and `invoke` against a checkout on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main

pytestmark = pytest.mark.sandbox

CONFIG = """\
functions:
  greet:
    file: fns/greet.py
    on: [issues.opened]
    command: greet
    http: true
  broken:
    file: fns/greet.py
    region: Not A Region
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "kintsugi.yml").write_text(CONFIG)
    (tmp_path / "fns").mkdir()
    (tmp_path / "fns" / "greet.py").write_text(
        "def handle(event, context):\n"
        "    return {'comment': 'hello ' + event['user'], 'actions': {'comment': 'hi'}}\n"
    )
    return tmp_path


def test_list_shows_functions_and_config_errors(
    checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["functions", "list", str(checkout)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("greet\tfns/greet.py:handle\ton: issues.opened")
    assert "/run greet http" in captured.out
    assert ".github/kintsugi.yml:9: functions.broken.region" in captured.err


def test_invoke_runs_in_the_sandbox_and_prints_json(
    sandbox: object, checkout: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"user": "ada"}))
    assert main(["functions", "invoke", str(checkout), "greet", "--event", str(event)]) == 0
    reply = json.loads(capsys.readouterr().out)
    assert reply["status_code"] == 200
    assert reply["body"]["comment"] == "hello ada"
    assert reply["actions"] == {"comment": "hi"}
    assert reply["start"] == "cold"
    assert reply["execution_time_ms"] > 0


def test_invoke_of_an_unknown_function_exits_non_zero(
    sandbox: object, checkout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["functions", "invoke", str(checkout), "nope"]) == 1
    assert json.loads(capsys.readouterr().out)["status_code"] == 404
