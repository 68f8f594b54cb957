"""`StrategyVariant`: one versioned, immutable configuration of the healer's strategies."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

STRATEGIES = ("template", "search", "llm")
TEMPLATES = (
    "moved_import",
    "none_guard",
    "none_iterable",
    "missing_key",
    "empty_collection",
    "empty_sequence",
    "exhausted_iterator",
    "unbound_local",
    "name_typo",
    "attribute_typo",
    "str_concat",
    "runaway_recursion",
)
SEARCH_OPERATORS = (
    "comparison",
    "off_by_one",
    "binary_operator",
    "boolean_operator",
    "negate_condition",
    "extend_condition",
    "drop_condition",
    "constant",
    "swap",
    "builtin",
    "method",
    "attribute",
    "variable",
    "guard",
    "return_value",
    "remove_statement",
    "bound",
    "recursive_argument",
    "swap_statements",
    "insert_statement",
)
DEFAULT_PROMPT_ID = "fix-v1"


class StrategyVariant(BaseModel):
    """What the healer tries, in which order and how much of it.

    Identity (`id`, `version`, `parent`, `note`) is kept apart from behaviour: two variants with
    the same `behaviour_key` heal every case the same way."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = "v1"
    version: int = Field(default=1, ge=1)
    parent: str | None = None
    note: str = "the healer's defaults"
    strategy_order: tuple[str, ...] = STRATEGIES
    # Candidates each strategy may have validated in one case; absent means only the case's
    # overall budget bounds it.
    strategy_budgets: dict[str, int] = Field(default_factory=dict)
    templates: tuple[str, ...] = TEMPLATES
    template_max_locations: int = Field(default=4, ge=1, le=32)
    search_max_locations: int = Field(default=8, ge=1, le=64)
    search_per_location: int = Field(default=300, ge=1, le=5000)
    # Added to a search edit's weight (lower weight = tried earlier); 0 keeps the healer's order.
    operator_offsets: dict[str, float] = Field(default_factory=dict)
    max_pairs: int = Field(default=200, ge=0, le=2000)
    prompt_template_id: str = DEFAULT_PROMPT_ID
    prompt_guidance: str = Field(default="", max_length=2000)

    @field_validator("strategy_order")
    @classmethod
    def _known_strategies(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in value if name not in STRATEGIES]
        if unknown or len(set(value)) != len(value):
            raise ValueError(f"strategy order must name distinct strategies of {STRATEGIES}")
        return value

    @field_validator("strategy_budgets")
    @classmethod
    def _positive_budgets(cls, value: dict[str, int]) -> dict[str, int]:
        if any(name not in STRATEGIES or amount < 1 for name, amount in value.items()):
            raise ValueError("budgets are positive candidate counts for known strategies")
        return value

    @field_validator("templates")
    @classmethod
    def _known_templates(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(name not in TEMPLATES for name in value) or len(set(value)) != len(value):
            raise ValueError(f"templates must be distinct names of {TEMPLATES}")
        return value

    @field_validator("operator_offsets")
    @classmethod
    def _known_operators(cls, value: dict[str, float]) -> dict[str, float]:
        if any(name not in SEARCH_OPERATORS or abs(v) > 100 for name, v in value.items()):
            raise ValueError("operator offsets name search operators and stay within ±100")
        return value

    @property
    def behaviour_key(self) -> str:
        """Digest of everything that changes how a case is healed (not of the identity)."""
        behaviour = self.model_dump(exclude={"id", "version", "parent", "note"})
        behaviour["strategy_budgets"] = sorted(behaviour["strategy_budgets"].items())
        offsets = {k: v for k, v in behaviour["operator_offsets"].items() if v != 0}
        behaviour["operator_offsets"] = sorted(offsets.items())
        text = json.dumps(behaviour, sort_keys=True, default=list)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def derive(self, note: str, **changes: Any) -> StrategyVariant:
        """A child variant: the next version, with `changes` applied and validated."""
        data = self.model_dump()
        data.update(changes)
        data.update(version=self.version + 1, parent=self.id, note=note)
        data["id"] = "pending"
        child = StrategyVariant.model_validate(data)
        return child.model_copy(update={"id": f"v{child.version}-{child.behaviour_key[:6]}"})

    def to_payload(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> StrategyVariant:
        return cls.model_validate(payload)


def default_variant() -> StrategyVariant:
    """The healer as `build_healer` wires it: the incumbent before any promotion."""
    return StrategyVariant()
