"""Self-evolution: measure healing outcomes, replay strategy variants, promote and roll back."""

from app.evolution.analysis import OutcomeReport, OutcomeStats, analyse
from app.evolution.corpus import ReplayCase, default_corpus_path, load_corpus, sample_cases
from app.evolution.decision import PromotionDecision, decide
from app.evolution.evolver import Progress, SelfEvolvingAI, Stage
from app.evolution.generation import challengers
from app.evolution.history import VariantHistory, active_variant, load_history
from app.evolution.replay import CaseOutcome, Replayer, ReplayRun
from app.evolution.rollback import RollbackDecision, check_rollback
from app.evolution.variant import StrategyVariant, default_variant
from app.evolution.wiring import healer_for, strategies_for

__all__ = [
    "CaseOutcome",
    "OutcomeReport",
    "OutcomeStats",
    "Progress",
    "PromotionDecision",
    "ReplayCase",
    "ReplayRun",
    "Replayer",
    "RollbackDecision",
    "SelfEvolvingAI",
    "Stage",
    "StrategyVariant",
    "VariantHistory",
    "active_variant",
    "analyse",
    "challengers",
    "check_rollback",
    "decide",
    "default_corpus_path",
    "default_variant",
    "healer_for",
    "load_corpus",
    "load_history",
    "sample_cases",
    "strategies_for",
]
