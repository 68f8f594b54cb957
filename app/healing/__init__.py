"""Self-healing: from a crash or a failing test to a validated fix with its evidence."""

from app.healing.candidate_search import Budget, HealingResult
from app.healing.fix import Evidence, Fix
from app.healing.incidents.model import ExceptionInfo, Frame, Incident
from app.healing.pipeline import Healer
from app.healing.seed import SelfHealingCode

__all__ = [
    "Budget",
    "Evidence",
    "ExceptionInfo",
    "Fix",
    "Frame",
    "Healer",
    "HealingResult",
    "Incident",
    "SelfHealingCode",
]
