"""Parsing the `functions:` section of `.github/kintsugi.yml`."""

from __future__ import annotations

from pathlib import Path

from functions.config import CONFIG_PATH, load_repo_functions, parse_functions

ISSUE_EXAMPLE = """\
functions:
  triage:
    file: .github/functions/triage.py
    handler: handle          # def handle(event, context) -> dict
    on: [issues.opened]      # GitHub event triggers
    command: triage          # optional: `/run triage` in an issue comment
    http: false              # optional: POST /functions/{owner}/{repo}/{name}
    timeout: 5               # seconds
    memory_mb: 128
    region: default
"""


def test_the_issue_example_parses_with_every_field() -> None:
    loaded = parse_functions(ISSUE_EXAMPLE)
    assert loaded.problems == []
    spec = loaded.functions["triage"]
    assert spec.file == ".github/functions/triage.py"
    assert spec.on == ("issues.opened",)  # `on` stays a key, not YAML 1.1's True
    assert (spec.command, spec.http, spec.timeout, spec.memory_mb) == ("triage", False, 5, 128)


def test_an_invalid_function_names_key_and_line_and_the_others_still_load() -> None:
    text = """\
functions:
  good:
    file: good.py
  slow:
    file: slow.py
    timeout: -3
  nameless:
    handler: run
  typo:
    file: typo.py
    memroy_mb: 256
"""
    loaded = parse_functions(text)
    assert list(loaded.functions) == ["good"]
    messages = sorted(str(problem) for problem in loaded.problems)
    assert messages == [
        f"{CONFIG_PATH}:11: functions.typo.memroy_mb: is not a known key",
        f"{CONFIG_PATH}:6: functions.slow.timeout: Input should be greater than 0",
        f"{CONFIG_PATH}:8: functions.nameless.file: is required",
    ]


def test_file_must_stay_inside_the_repository() -> None:
    loaded = parse_functions("functions:\n  escape:\n    file: ../../etc/passwd.py\n")
    assert loaded.functions == {}
    assert "functions.escape.file" in str(loaded.problems[0])
    assert loaded.problems[0].line == 3


def test_broken_yaml_is_one_problem_with_its_line() -> None:
    loaded = parse_functions("functions:\n  a: [unclosed\n")
    assert loaded.functions == {}
    assert loaded.problems[0].line is not None
    assert "invalid YAML" in loaded.problems[0].message


def test_no_config_or_no_section_means_no_functions(tmp_path: Path) -> None:
    assert load_repo_functions(tmp_path).functions == {}
    assert parse_functions("other: 1\n").functions == {}


def test_declared_file_must_exist_in_the_checkout(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / CONFIG_PATH).write_text(ISSUE_EXAMPLE)
    loaded = load_repo_functions(tmp_path)
    assert loaded.functions == {}
    assert "is not a file in the repository" in str(loaded.problems[0])
