"""Naming the App permission a refused (403) GitHub call needs, for the log, the check run and
the reply: only a human can grant a permission, so retrying the job would change nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from app.errors import KintsugiError
from app.github.api import RepositoryApi

log = logging.getLogger(__name__)

# The steps of proposing a fix that GitHub may refuse, and the permission (as `app.yml` names
# it) each needs. Labels need `issues: write` even on pull requests.
FixStep = Literal["push", "check_run", "pull_request", "labels", "comment"]
REQUIRED: dict[FixStep, tuple[str, str]] = {
    "push": ("contents: write", "push the fix branch"),
    "check_run": ("checks: write", "show the verification as a check run"),
    "pull_request": ("pull_requests: write", "open the fix pull request"),
    "labels": ("issues: write", "label the fix pull request"),
    "comment": ("issues: write", "comment"),
}


@dataclass(frozen=True)
class MissingPermission:
    """The permission one refused step needs, and how to put it right."""

    step: FixStep
    detail: str = ""

    @property
    def permission(self) -> str:
        return REQUIRED[self.step][0]

    @property
    def action(self) -> str:
        return REQUIRED[self.step][1]

    @property
    def title(self) -> str:
        return f"Missing permission: {self.permission}"

    def how_to_grant(self) -> str:
        """Markdown for the check run and the reply: what is missing and who can grant it."""
        return (
            f"GitHub refused to let the Kintsugi App {self.action}: the App needs the "
            f"`{self.permission}` permission, and this installation does not grant it.\n\n"
            "To grant it, the App's owner opens the App's settings on GitHub (Settings → "
            "Developer settings → GitHub Apps → Kintsugi → Permissions & events), sets "
            f"`{self.permission.replace(': ', '` to `')}` as in Kintsugi's `app.yml`, and saves; "
            "an owner of this repository's account then accepts the new permissions "
            "(Settings → GitHub Apps → Kintsugi → Review request). Run `/heal` again afterwards."
        )


async def report_missing(
    api: RepositoryApi,
    missing: MissingPermission,
    check: int | None,
    *,
    repository: str,
    trigger_url: str,
) -> None:
    """Say in the log, and on the fix commit's check run `check` when there is one, which
    permission the App lacks."""
    log.error(
        "the GitHub App is missing a permission",
        extra={
            "repository": repository,
            "permission": missing.permission,
            "step": missing.step,
            "error": missing.detail,
        },
    )
    if check is None:
        return
    try:
        await api.update_check_run(
            check,
            status="completed",
            conclusion="action_required",
            title=missing.title,
            summary=missing.how_to_grant(),
            details_url=trigger_url if trigger_url.startswith("https://") else "",
        )
    except KintsugiError as error:  # the log above already names the cause
        log.warning("check run not updated", extra={"check_run": check, "error": str(error)})
