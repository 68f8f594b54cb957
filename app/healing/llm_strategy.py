"""The LLM strategy: a structured edit asked of the configured model at each suspicious site."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.errors import KintsugiError, PermanentError
from app.healing.candidates import Candidate, RepairContext
from app.healing.incidents.redaction import REDACTED
from app.healing.llm_context import (
    FixExamples,
    incident_context,
    merged_examples,
    repository_conventions,
)
from app.healing.llm_edits import (
    StructuredEdit,
    apply_edit,
    build_fix_prompt,
    parse_llm_edit,
    redact,
)
from app.healing.localise import Location, is_test_file
from app.llm import ChatMessage, CostBudgetExceeded, LLMResponse

log = logging.getLogger(__name__)

# Enough for a rewritten function body; a longer answer is rambling and costs money.
_MAX_ANSWER_TOKENS = 2048
_MAX_DESCRIPTION = 300
_MAX_LINES_PER_SITE = 6


class LLMProvider(Protocol):
    """What the strategy needs of `app.llm.LLMProviderAbstraction`."""

    @property
    def configured(self) -> bool: ...

    usage: Any

    def for_case(self, cost_budget_usd: float | None = None) -> LLMProvider: ...

    async def complete(
        self,
        prompt: str | Sequence[ChatMessage],
        *,
        system: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> LLMResponse: ...


@dataclass(frozen=True)
class _Site:
    """One function (or module body) of one file, with the suspicious lines inside it."""

    location: Location
    lines: tuple[int, ...]


class LLMStrategy:
    """Asks the LLM for one structured edit per suspicious site, applied with libcst.

    Each case spends from its own budget (`provider.for_case`); when it is spent the strategy
    stops. An answer that is not a valid edit is never applied: it becomes a refused proposal,
    which the pipeline records as rejected. A second attempt at a site tells the model why the
    first was refused, or that its edit did not pass validation."""

    name = "llm"
    # Each proposal waits for the verdict on the previous one: no paid call whose answer the
    # pipeline would not need.
    parallel = 1

    def __init__(
        self,
        provider: LLMProvider,
        *,
        max_locations: int = 3,
        attempts_per_location: int = 2,
        fix_memory: FixExamples | None = None,
        cost_budget_usd: float | None = None,
        guidance: str = "",
    ) -> None:
        self.provider = provider
        self.max_locations = max_locations
        self.attempts_per_location = attempts_per_location
        self.fix_memory = fix_memory
        self.cost_budget_usd = cost_budget_usd  # None: the provider's own (LLM_COST_BUDGET_USD)
        self.guidance = guidance  # set by a strategy variant under evolution

    async def propose(self, context: RepairContext) -> AsyncIterator[Candidate]:
        case = self.provider.for_case(self.cost_budget_usd)
        try:
            conventions = await self._conventions(context)
            for site in sites(context.locations, self.max_locations):
                async for candidate in self._at(case, context, site, conventions):
                    yield candidate
        except _Stop:
            return

    async def _at(
        self, case: LLMProvider, context: RepairContext, site: _Site, conventions: str
    ) -> AsyncIterator[Candidate]:
        location = site.location
        source = context.files.read(location.path)
        messages = build_fix_prompt(
            path=location.path,
            source=source,
            lines=site.lines,
            incident=incident_context(context.incident, context.files, location),
            conventions=conventions,
        )
        where = f"{location.function} in {location.path}" if location.function else location.path
        for _ in range(self.attempts_per_location):
            response = await self._ask(case, messages, context, location)
            try:
                edit, edited = _edited(source, response.text, location.path)
            except PermanentError as error:
                log.info(
                    "llm answer refused",
                    extra={
                        "path": location.path,
                        "function": location.function,
                        "error": str(error),
                    },
                )
                yield Candidate(
                    self.name,
                    "refused",
                    f"LLM answer for {where}",
                    {},
                    location,
                    cost_usd=response.cost_usd,
                    refusal=str(error),
                )
                messages = _follow_up(
                    messages, response.text, f"That answer was refused: {error}. Answer again."
                )
                continue
            explanation = redact(" ".join(edit.explanation.split()))[:_MAX_DESCRIPTION]
            yield Candidate(
                self.name,
                "function-body" if edit.function else "statements",
                explanation or f"LLM edit of {where}",
                {location.path: edited},
                location,
                cost_usd=response.cost_usd,
            )
            # Pulled again: the edit was validated and failed (or had been tried already).
            messages = _follow_up(
                messages,
                response.text,
                "That edit was tried: the failing tests still fail or other tests broke. "
                "Find the actual root cause and propose a different edit.",
            )

    async def _ask(
        self,
        case: LLMProvider,
        messages: list[ChatMessage],
        context: RepairContext,
        location: Location,
    ) -> LLMResponse:
        seconds_left = None if context.deadline is None else context.deadline - time.monotonic()
        if seconds_left is not None and seconds_left <= 0:
            raise _Stop
        spent_before = _spend(case.usage)
        try:
            async with asyncio.timeout(seconds_left):
                return await case.complete(messages, max_tokens=_MAX_ANSWER_TOKENS)
        except CostBudgetExceeded as error:
            log.info("llm cost budget spent, no more llm candidates", extra={"error": str(error)})
        except TimeoutError:
            log.info(
                "case deadline reached while waiting for the llm", extra={"path": location.path}
            )
        except KintsugiError as error:
            # Retries and fallbacks are already spent inside the provider: give up on the LLM.
            log.warning("llm unavailable, no llm candidates", extra={"error": str(error)})
        finally:
            if case is not self.provider:
                _add_spend(self.provider.usage, spent_before, _spend(case.usage))
        raise _Stop

    async def _conventions(self, context: RepairContext) -> str:
        parts = [repository_conventions(context.files.root)]
        if self.guidance.strip():
            parts.append(self.guidance.strip())
        if self.fix_memory is not None:
            parts.append(await merged_examples(self.fix_memory, context.incident, context.files))
        return "\n\n".join(part for part in parts if part)


def _edited(source: str, answer: str, path: str) -> tuple[StructuredEdit, str]:
    """The answer's edit and the file it makes; PermanentError when it is not a usable edit."""
    edit = parse_llm_edit(answer)
    if REDACTED in edit.replacement and REDACTED not in source:
        # The model was shown redacted values; copying one back would break the code.
        raise PermanentError("the LLM edit writes a redacted placeholder into the code")
    edited = apply_edit(source, edit, path=path)
    if edited == source:
        raise PermanentError("the LLM edit changes nothing")
    return edit, edited


class _Stop(Exception):
    """No further LLM calls in this case (budget spent, deadline reached, provider down)."""


def sites(locations: Sequence[Location], limit: int) -> list[_Site]:
    """The first `limit` distinct (file, function) sites, each with all its suspicious lines."""
    grouped: dict[tuple[str, str], list[Location]] = {}
    for location in locations:
        if is_test_file(location.path):
            continue
        grouped.setdefault((location.path, location.function), []).append(location)
    return [
        _Site(found[0], tuple(sorted({loc.line for loc in found[:_MAX_LINES_PER_SITE]})))
        for found in list(grouped.values())[:limit]
    ]


def _follow_up(messages: list[ChatMessage], answer: str, feedback: str) -> list[ChatMessage]:
    return [
        *messages,
        {"role": "assistant", "content": redact(answer)},
        {"role": "user", "content": f"{feedback} Reply with the JSON object only."},
    ]


_USAGE_FIELDS = (
    "calls",
    "cache_hits",
    "failures",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
)


def _spend(usage: Any) -> dict[str, float]:
    return {name: getattr(usage, name, 0) for name in _USAGE_FIELDS}


def _add_spend(total: Any, before: dict[str, float], after: dict[str, float]) -> None:
    """A call's spend added to the provider's running totals too (what replays read), at
    once: the pipeline may drop this strategy at any proposal without closing it."""
    for name in _USAGE_FIELDS:
        if hasattr(total, name):
            setattr(total, name, getattr(total, name) + after[name] - before[name])
