"""LLM edits: the fix prompt, and the structured answer parsed and applied with libcst."""

from app.healing.llm_edits.answer import StructuredEdit, parse_llm_edit
from app.healing.llm_edits.apply import apply_edit, check_edit_target, is_test_path
from app.healing.llm_edits.prompt import (
    SYSTEM_PROMPT,
    build_fix_prompt,
    describe_incident,
    localised_code,
)
from app.healing.llm_edits.redaction import redact

__all__ = [
    "SYSTEM_PROMPT",
    "StructuredEdit",
    "apply_edit",
    "build_fix_prompt",
    "check_edit_target",
    "describe_incident",
    "is_test_path",
    "localised_code",
    "parse_llm_edit",
    "redact",
]
