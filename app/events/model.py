"""Events: immutable records of facts, and the names of the facts Kintsugi knows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventType(StrEnum):
    """Kintsugi's own event types, past tense. Webhooks are `github.<event>.<action>` and
    `sentry.<resource>.<action>`; the members below are the ones the app acts on by name, but
    `Event.type` accepts any such string."""

    # webhooks the app reacts to
    GITHUB_PING = "github.ping"
    GITHUB_INSTALLATION_CREATED = "github.installation.created"
    GITHUB_INSTALLATION_DELETED = "github.installation.deleted"
    GITHUB_INSTALLATION_REPOSITORIES_ADDED = "github.installation_repositories.added"
    GITHUB_INSTALLATION_REPOSITORIES_REMOVED = "github.installation_repositories.removed"
    GITHUB_ISSUE_COMMENT_CREATED = "github.issue_comment.created"
    GITHUB_ISSUES_OPENED = "github.issues.opened"
    GITHUB_CHECK_RUN_COMPLETED = "github.check_run.completed"
    GITHUB_WORKFLOW_RUN_COMPLETED = "github.workflow_run.completed"
    GITHUB_PULL_REQUEST_CLOSED = "github.pull_request.closed"
    GITHUB_PULL_REQUEST_REVIEW_SUBMITTED = "github.pull_request_review.submitted"
    GITHUB_PULL_REQUEST_REVIEW_COMMENT_CREATED = "github.pull_request_review_comment.created"
    SENTRY_EVENT_ALERT_TRIGGERED = "sentry.event_alert.triggered"
    SENTRY_ERROR_CREATED = "sentry.error.created"
    SENTRY_ISSUE_CREATED = "sentry.issue.created"
    # what Kintsugi itself did
    HEALING_CASE_OPENED = "healing.case_opened"
    HEALING_CANDIDATE_REJECTED = "healing.candidate_rejected"
    HEALING_FIX_VALIDATED = "healing.fix_validated"
    HEALING_FIX_NOT_FOUND = "healing.fix_not_found"
    # No case could open: the repository's environment or tests on the unchanged code; `reason`
    HEALING_NOT_STARTED = "healing.not_started"
    HEALING_PR_OPENED = "healing.pr_opened"
    HEALING_PR_UPDATED = "healing.pr_updated"  # the same failure recurred
    HEALING_PR_MERGED = "healing.pr_merged"
    HEALING_PR_REJECTED = "healing.pr_rejected"
    HEALING_PR_REVERTED = "healing.pr_reverted"  # a merged fix, undone by a revert pull request
    HEALING_PR_REVIEWED = "healing.pr_reviewed"
    HEALING_TRIGGER_HANDLED = "healing.trigger_handled"  # a Sentry or CI failure, acted on once
    CI_FAILURE_ACCEPTED = "ci.failure_accepted"  # the one job that heals a repo + commit
    ONBOARDING_PR_OPENED = "onboarding.pr_opened"
    EVOLUTION_VARIANT_PROMOTED = "evolution.variant_promoted"
    EVOLUTION_VARIANT_ROLLED_BACK = "evolution.variant_rolled_back"
    EVOLUTION_IMPROVEMENT_PR_OPENED = "evolution.improvement_pr_opened"
    EVOLUTION_REPLAY_COMPLETED = "evolution.replay_completed"  # challengers tested, none or one won
    FUNCTION_INVOKED = "function.invoked"
    FUNCTION_TRIGGERED = "function.triggered"  # a GitHub event ran a declared function
    COMMAND_HANDLED = "command.handled"
    JOB_DEAD_LETTERED = "job.dead_lettered"
    # stands for any job the seed's examples publish
    ML_TRAINING_STARTED = "ml.training_started"


def webhook_event_type(provider: str, name: str, action: str | None) -> str:
    """`github.issues.opened`, `sentry.error.created`, or `github.push` when there is no action."""
    return f"{provider}.{name}.{action}" if action else f"{provider}.{name}"


def _now() -> datetime:
    return datetime.now(UTC)


class EventMetadata(BaseModel):
    """Why an event exists: what caused it, which conversation it belongs to, where it came from."""

    model_config = ConfigDict(frozen=True, extra="allow")

    correlation_id: uuid.UUID | None = None
    causation_id: uuid.UUID | None = None
    delivery_id: str | None = None
    installation_id: int | None = None
    validated: bool | None = None


class Event(BaseModel):
    """One fact. `position` and `stream_version` are set by the store that keeps it."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    type: str
    source: str
    stream: str = ""
    stream_version: int = 0
    position: int | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    metadata: EventMetadata = Field(default_factory=EventMetadata)
    idempotency_key: str | None = None
    occurred_at: datetime = Field(default_factory=_now)

    def caused(self, type: str, source: str, payload: dict[str, Any], **extra: Any) -> Event:
        """A new event caused by this one, in the same correlation."""
        return Event(
            type=type,
            source=source,
            payload=payload,
            metadata=EventMetadata(
                correlation_id=self.metadata.correlation_id or self.id,
                causation_id=self.id,
                installation_id=self.metadata.installation_id,
                **extra,
            ),
        )
