"""Where `/heal` finds its incident: a traceback in the command's own comment, else in the
issue's description when whoever wrote it has write access, else the latest event of a linked
Sentry issue of the project the repository maps. Nobody else's text is used."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from app.commands import replies
from app.commands.parse import CommandRequest, clean_text, unfenced
from app.commands.permissions import issue_text_trusted
from app.commands.sentry_link import SentryScope, incident_from_link
from app.data.ports import Cache
from app.events.store import EventStore
from app.github.api import RepositoryApi
from app.github.config import RepoConfig
from app.github.installations import load_installations
from app.github.sentry_source import SentryBindings
from app.healing import Incident
from app.healing.incidents import UnreadableIncident, incident_from_traceback

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealInput:
    """The incident to heal, or the reply saying why there is none (and its outcome)."""

    incident: Incident | None
    problem: str = ""
    outcome: str = "no_incident"


async def heal_input(
    request: CommandRequest,
    api: RepositoryApi,
    config: RepoConfig,
    store: EventStore,
    cache: Cache,
    sentry_bindings: SentryBindings | None = None,
) -> HealInput:
    # The comment first (the freshest traceback), then the issue's description.
    texts = [request.comment_body]
    skipped = None
    if request.issue_body.strip():
        if await issue_text_trusted(api, request, cache):
            texts.append(request.issue_body)
        else:
            skipped = request.issue_author or "the issue's author"
            log.info(
                "issue text not used: its author has no write access",
                extra={"repo": request.repository, "issue_author": request.issue_author},
            )
    for text in texts:
        try:
            return HealInput(incident_from_traceback(unfenced(clean_text(text))))
        except UnreadableIncident:
            continue
    # No traceback pasted: the latest stored event of a linked Sentry issue, if any.
    scope = await sentry_scope(request, config, store, sentry_bindings)
    linked = await incident_from_link(store, [clean_text(text) for text in texts], scope)
    if linked is None:
        if skipped is not None:
            return HealInput(None, replies.UNTRUSTED_ISSUE.format(author=skipped), "untrusted_text")
        return HealInput(None, replies.NO_TRACEBACK)
    if linked.incident is None:
        return HealInput(None, linked.problem)
    return HealInput(linked.incident)


async def sentry_scope(
    request: CommandRequest,
    config: RepoConfig,
    store: EventStore,
    bindings: SentryBindings | None = None,
) -> SentryScope:
    """Whose Sentry events `/heal` may use here: those of the project the repository maps, when
    the repository is installed in the installation the command came from — the installation
    Sentry events of that project are routed to."""
    owner = (await load_installations(store)).for_repository(request.repository)
    return SentryScope(
        repository=request.repository,
        mapping=config.sentry,
        installed=owner is not None and owner.id == request.installation_id,
        installation_id=request.installation_id,
        bindings=bindings,
    )
