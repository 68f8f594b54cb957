"""Reading a slash command, and who asked it where, from an `issue_comment.created` event."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.commands.markdown import read_lines, visible_text
from app.events.model import Event

COMMANDS = ("heal", "fix", "evolve", "run", "status", "help")
_COMMAND = re.compile(r"^/(?P<name>[a-z]+)(?:[ \t]+(?P<args>.*))?$")


def clean_text(text: str) -> str:
    """Comment text without HTML comments or invisible characters: what a reader sees."""
    return visible_text(text)


def unfenced(text: str) -> str:
    """`text` without Markdown fence lines, so a pasted traceback ends where its text ends."""
    return "\n".join(
        "" if line.strip().startswith(("```", "~~~")) else line for line in text.split("\n")
    )


@dataclass(frozen=True)
class Command:
    """One command: its name and the rest of its line (plus any following lines for /fix)."""

    name: str
    args: str = ""


def parse_command(body: str) -> Command | None:
    """The first line of `body` that is a known command; None when there is none. Code blocks
    of every kind and HTML comments are skipped, so a pasted shell session or hidden text
    never runs anything."""
    lines = read_lines(body)
    for index, line in enumerate(lines):
        if not line.may_command:
            continue
        match = _COMMAND.match(line.text.strip())
        if match is None or match["name"] not in COMMANDS:
            continue
        args = (match["args"] or "").strip()
        if match["name"] == "fix":
            rest = "\n".join(later.text for later in lines[index + 1 :]).strip()
            args = f"{args}\n{rest}".strip()
        return Command(match["name"], args)
    return None


@dataclass(frozen=True)
class CommandRequest:
    """Where a command was asked and by whom, read defensively from the webhook payload."""

    installation_id: int
    repository: str
    clone_url: str
    default_branch: str
    issue_number: int
    issue_title: str
    issue_body: str
    issue_author: str
    issue_url: str
    is_pull_request: bool
    comment_id: int
    comment_body: str
    author: str


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _login(user: Any) -> str:
    return _text(user.get("login")) if isinstance(user, dict) else ""


def _is_bot(user: Any) -> bool:
    if not isinstance(user, dict):
        return True
    return user.get("type") == "Bot" or _text(user.get("login")).endswith("[bot]")


def request_from_event(event: Event) -> CommandRequest | None:
    """The request behind a new comment; None for edits, bots (the App itself included) and
    payloads without what a command needs."""
    if event.type != "github.issue_comment.created":
        return None
    payload = event.payload
    comment, issue, repo = payload.get("comment"), payload.get("issue"), payload.get("repository")
    if not (isinstance(comment, dict) and isinstance(issue, dict) and isinstance(repo, dict)):
        return None
    if _is_bot(comment.get("user")) or _is_bot(payload.get("sender")):
        return None
    if comment.get("performed_via_github_app"):
        return None
    installation_id = event.metadata.installation_id
    number, comment_id = issue.get("number"), comment.get("id")
    full_name = _text(repo.get("full_name"))
    if not (
        isinstance(installation_id, int)
        and isinstance(number, int)
        and isinstance(comment_id, int)
        and "/" in full_name
    ):
        return None
    return CommandRequest(
        installation_id=installation_id,
        repository=full_name,
        clone_url=_text(repo.get("clone_url")),
        default_branch=_text(repo.get("default_branch")) or "main",
        issue_number=number,
        issue_title=_text(issue.get("title")),
        issue_body=_text(issue.get("body")),
        issue_author=_login(issue.get("user")),
        issue_url=_text(issue.get("html_url")),
        is_pull_request=isinstance(issue.get("pull_request"), dict),
        comment_id=comment_id,
        comment_body=_text(comment.get("body")),
        author=_login(comment.get("user")),
    )
