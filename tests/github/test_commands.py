"""Reading slash commands and their requests from comment events."""

from __future__ import annotations

import json
from typing import Any

from app.commands import Command, parse_command, request_from_event
from app.commands.parse import clean_text
from app.commands.run import parse_run_arguments
from app.events import Event, EventMetadata
from tests.conftest import CORPUS


def test_first_command_line_wins_and_fenced_code_is_skipped() -> None:
    body = "Please look.\n```\n/run rm -rf\n```\n/heal now\n/status"
    assert parse_command(body) == Command("heal", "now")


def test_unknown_or_inline_commands_are_not_commands() -> None:
    assert parse_command("/deploy prod") is None
    assert parse_command("please /heal this") is None
    assert parse_command("") is None


def test_fix_takes_the_rest_of_the_comment_as_its_description() -> None:
    assert parse_command("/fix totals are off\nby one for refunds") == Command(
        "fix", "totals are off\nby one for refunds"
    )


def test_hidden_text_never_becomes_a_command() -> None:
    assert parse_command("<!--\n/heal\n-->") is None
    assert clean_text("a\u200bb<!-- secret -->c\u202e") == "abc"


def test_run_arguments_are_a_name_and_json() -> None:
    assert parse_run_arguments('triage {"level": 2}') == ("triage", {"level": 2})
    assert parse_run_arguments("triage") == ("triage", {})
    assert "not valid JSON" in str(parse_run_arguments("triage {oops"))


def payload() -> dict[str, Any]:
    path = CORPUS / "github-webhooks/issue_comment/created.with-installation.payload.json"
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def event(data: dict[str, Any], kind: str = "github.issue_comment.created") -> Event:
    return Event(
        type=kind, source="github", payload=data, metadata=EventMetadata(installation_id=5)
    )


def test_request_carries_where_and_who() -> None:
    request = request_from_event(event(payload()))
    assert request is not None
    assert request.repository == "Codertocat/Hello-World"
    assert request.installation_id == 5 and request.author == "Codertocat"
    assert request.issue_author == "Codertocat"
    assert request.default_branch == "master"


def test_edits_and_bots_are_ignored() -> None:
    assert request_from_event(event(payload(), "github.issue_comment.edited")) is None
    bot = payload()
    bot["comment"]["user"] = {"login": "kintsugi[bot]", "type": "Bot"}
    assert request_from_event(event(bot)) is None
    via_app = payload()
    via_app["comment"]["performed_via_github_app"] = {"id": 1}
    assert request_from_event(event(via_app)) is None
