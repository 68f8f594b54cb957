"""LLM-proposed prompt edits: a structured, validated change to the fix prompt's guidance."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.evolution.analysis import OutcomeReport
from app.evolution.variant import StrategyVariant
from app.healing.llm_edits import redact

log = logging.getLogger(__name__)

SYSTEM = """\
You tune the guidance given to a code-repair model. You get its current guidance and measured
outcomes. Answer with ONE JSON object and nothing else:
{"template_id": "<lowercase-id-with-dashes>", "guidance": "<at most 600 characters of extra
rules for the repair model>", "rationale": "<one sentence>"}
The guidance must not change the answer format, mention tools, URLs or credentials."""

_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")
_FORBIDDEN = re.compile(r"https?://|```|api[_-]?key|token|password|secret", re.IGNORECASE)


class PromptProposal(BaseModel):
    """What the LLM may propose: a new template id and its guidance text, nothing else."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    template_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,40}$")
    guidance: str = Field(min_length=20, max_length=600)
    rationale: str = Field(default="", max_length=300)

    @field_validator("guidance")
    @classmethod
    def _safe(cls, value: str) -> str:
        if _FORBIDDEN.search(value):
            raise ValueError("guidance may not hold URLs, code fences or credential words")
        return value.strip()


def parse_proposal(text: str) -> PromptProposal:
    """The LLM's answer as a validated proposal; raises ValueError when it is not one."""
    try:
        data = json.loads(_FENCE.sub("", text.strip()))
        return PromptProposal.model_validate(data)
    except (json.JSONDecodeError, ValidationError) as error:
        raise ValueError(f"not a valid prompt proposal: {error}") from error


async def propose_prompt_edit(
    llm_provider: Any, incumbent: StrategyVariant, report: OutcomeReport
) -> StrategyVariant | None:
    """A challenger with the LLM's proposed guidance, or None (no LLM, or no valid answer)."""
    if not getattr(llm_provider, "configured", False) or "llm" not in incumbent.strategy_order:
        return None
    outcomes = json.dumps(report.overall.to_dict(), sort_keys=True)
    prompt = (
        f"Current template id: {incumbent.prompt_template_id}\n"
        f"Current guidance:\n{incumbent.prompt_guidance or '(none)'}\n\n"
        f"Measured outcomes of live healing:\n{redact(outcomes)}\n"
        "Propose one improvement."
    )
    try:
        proposal = parse_proposal(await llm_provider.generate(prompt, system=SYSTEM))
    except Exception as error:  # an LLM failure only means no prompt challenger this time
        log.warning("no prompt proposal", extra={"error": str(error)[:300]})
        return None
    if proposal.template_id == incumbent.prompt_template_id:
        return None
    return incumbent.derive(
        f"prompt {proposal.template_id}: {proposal.rationale}"[:200],
        prompt_template_id=proposal.template_id,
        prompt_guidance=proposal.guidance,
    )
