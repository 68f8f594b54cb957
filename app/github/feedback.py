"""What maintainers do with fix pull requests — merge, close unmerged, review, revert —
recorded as `healing.pr_merged` / `healing.pr_rejected` / `healing.pr_reviewed` /
`healing.pr_reverted` for the evolution engine and the fix memory."""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from typing import Any

from app.commands.parse import clean_text
from app.events.model import Event, EventType
from app.events.store import DuplicateEventError, EventStore
from app.github.fix_pr import SOURCE

log = logging.getLogger(__name__)

FIX_BRANCH = "kintsugi/fix-"
# GitHub's "Revert" button opens a pull request whose body begins with this line.
_REVERTS = re.compile(r"\AReverts (?P<repository>[\w.-]+/[\w.-]+)#(?P<number>\d+)\b")
# How far back a revert looks for the merged fix it undoes.
MERGED_FIXES_SEARCHED = 1000
# Review text is kept for whoever reads the outcomes later; a wall of text adds nothing.
MAX_REVIEW_TEXT = 4000
FEEDBACK_EVENT_TYPES = (
    EventType.GITHUB_PULL_REQUEST_CLOSED,
    EventType.GITHUB_PULL_REQUEST_REVIEW_SUBMITTED,
    EventType.GITHUB_PULL_REQUEST_REVIEW_COMMENT_CREATED,
)


@dataclass(frozen=True)
class FixPull:
    """A Kintsugi fix pull request as a webhook describes it."""

    repository: str
    number: int
    url: str
    fingerprint: str
    merged: bool


def fix_pull(payload: dict[str, Any]) -> FixPull | None:
    """The fix pull request a payload is about; None for every other pull request."""
    pull, repo = payload.get("pull_request"), payload.get("repository")
    if not (isinstance(pull, dict) and isinstance(repo, dict)):
        return None
    head = pull.get("head")
    ref = head.get("ref") if isinstance(head, dict) else None
    number = pull.get("number")
    if not (isinstance(ref, str) and ref.startswith(FIX_BRANCH) and isinstance(number, int)):
        return None
    # A branch of that name in a fork is someone else's, not a Kintsugi fix.
    head_repo = head.get("repo") if isinstance(head, dict) else None
    full_name = str(repo.get("full_name") or "")
    if isinstance(head_repo, dict) and head_repo.get("full_name") not in (None, full_name):
        return None
    return FixPull(
        repository=full_name,
        number=number,
        url=str(pull.get("html_url") or ""),
        fingerprint=ref.removeprefix(FIX_BRANCH),
        merged=bool(pull.get("merged")),
    )


def reverted_pull_number(payload: dict[str, Any]) -> int | None:
    """The number of the pull request that a merged pull request reverts, when it is a revert
    made with GitHub's "Revert" button (its body opens with `Reverts owner/repo#N`) in the same
    repository; None for everything else. A revert pushed without a pull request is not seen."""
    pull, repo = payload.get("pull_request"), payload.get("repository")
    if not (isinstance(pull, dict) and isinstance(repo, dict) and pull.get("merged")):
        return None
    body = pull.get("body")
    found = _REVERTS.match(body.strip()) if isinstance(body, str) else None
    if found is None or found["repository"] != repo.get("full_name"):
        return None
    return int(found["number"])


class PullRequestFeedback:
    """The handler for closed fix pull requests and their reviews. Idempotent: each webhook
    event yields at most one feedback event (keyed by the webhook event's id)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    async def __call__(self, event: Event) -> None:
        pull = fix_pull(event.payload)
        if pull is None:
            if event.type == EventType.GITHUB_PULL_REQUEST_CLOSED:
                await self._revert(event)
            return
        if await self._recorded(event):
            return
        opened = await self._opened(pull)
        facts: dict[str, Any] = {
            "repository": pull.repository,
            "pull_number": pull.number,
            "pull_url": pull.url,
            "fingerprint": pull.fingerprint,
            "case_id": opened.get("case_id"),
            "fix_id": opened.get("fix_id"),
            "strategy": opened.get("strategy"),
            "operator": opened.get("operator"),
            "confidence": opened.get("confidence"),
        }
        sender = _login(event.payload.get("sender"))
        if event.type == EventType.GITHUB_PULL_REQUEST_CLOSED:
            kind = EventType.HEALING_PR_MERGED if pull.merged else EventType.HEALING_PR_REJECTED
            facts["closed_by"] = sender
        else:
            review = self._review(event)
            if review is None:
                return
            kind = EventType.HEALING_PR_REVIEWED
            facts.update(review)
        await self._record(event, f"healing-{pull.fingerprint}", kind, facts)
        log.info(
            "fix pull request feedback recorded",
            extra={"repository": pull.repository, "pull": pull.number, "kind": str(kind)},
        )

    async def _revert(self, event: Event) -> None:
        """A merged revert of a merged fix pull request: `healing.pr_reverted` in the fix's
        stream, carrying what its `healing.pr_merged` said (case, fix, strategy)."""
        number = reverted_pull_number(event.payload)
        if number is None or await self._recorded(event):
            return
        repository = event.payload["repository"]["full_name"]
        merged = await self.store.read_latest(
            MERGED_FIXES_SEARCHED, types=[EventType.HEALING_PR_MERGED]
        )
        fix = next(
            (
                m
                for m in reversed(merged)
                if m.payload.get("repository") == repository
                and m.payload.get("pull_number") == number
            ),
            None,
        )
        if fix is None:
            return  # not a Kintsugi fix, or merged before outcomes were recorded
        revert = event.payload["pull_request"]
        facts = {
            **{k: v for k, v in fix.payload.items() if k != "closed_by"},
            "revert_pull_number": revert.get("number"),
            "revert_pull_url": revert.get("html_url"),
            "reverted_by": _login(revert.get("merged_by")) or _login(event.payload.get("sender")),
        }
        await self._record(event, fix.stream, EventType.HEALING_PR_REVERTED, facts)
        log.info(
            "fix pull request reverted",
            extra={"repository": repository, "pull": number, "revert": revert.get("number")},
        )

    async def _recorded(self, event: Event) -> bool:
        """Whether this webhook event's feedback is in the log already (the job ran before)."""
        return await self.store.find_by_idempotency_key(_feedback_key(event)) is not None

    async def _record(
        self, event: Event, stream: str, kind: EventType, facts: dict[str, Any]
    ) -> None:
        record = event.caused(kind, SOURCE, facts).model_copy(
            update={"idempotency_key": _feedback_key(event)}
        )
        with contextlib.suppress(DuplicateEventError):  # a parallel run got there first
            await self.store.append(stream, record)

    async def _opened(self, pull: FixPull) -> dict[str, Any]:
        """The `healing.pr_opened` payload of this pull request (the fix's strategy and case);
        empty when the log does not know it (opened before feedback was recorded)."""
        stream = await self.store.read_stream(f"healing-{pull.fingerprint}")
        for known in reversed(stream):
            if known.type != EventType.HEALING_PR_OPENED:
                continue
            if known.payload.get("pull_url") == pull.url or (
                not pull.url and known.payload.get("repository") == pull.repository
            ):
                return dict(known.payload)
        return {}

    def _review(self, event: Event) -> dict[str, Any] | None:
        payload = event.payload
        if _is_bot(payload.get("sender")):
            return None  # Kintsugi's own notes, and other bots', are no maintainer's verdict
        if event.type == EventType.GITHUB_PULL_REQUEST_REVIEW_SUBMITTED:
            review = payload.get("review")
            if not isinstance(review, dict):
                return None
            return {
                "kind": "review",
                "state": str(review.get("state") or "").lower(),
                "reviewer": _login(review.get("user")),
                "author_association": review.get("author_association"),
                "body": _text(review.get("body")),
                "review_url": review.get("html_url"),
            }
        comment = payload.get("comment")
        if not isinstance(comment, dict):
            return None
        return {
            "kind": "comment",
            "state": "commented",
            "reviewer": _login(comment.get("user")),
            "author_association": comment.get("author_association"),
            "body": _text(comment.get("body")),
            "path": comment.get("path"),
            "line": comment.get("line"),
            "review_url": comment.get("html_url"),
        }


def _feedback_key(event: Event) -> str:
    # At most one feedback event per webhook event, however often its job runs.
    return f"feedback:{event.id}"


def _text(value: object) -> str:
    return clean_text(value)[:MAX_REVIEW_TEXT] if isinstance(value, str) else ""


def _login(user: object) -> str | None:
    login = user.get("login") if isinstance(user, dict) else None
    return login if isinstance(login, str) else None


def _is_bot(user: object) -> bool:
    if not isinstance(user, dict):
        return False
    return user.get("type") == "Bot" or str(user.get("login") or "").endswith("[bot]")
