"""A variant becomes the healer's strategies: order, budgets, templates, operator priorities."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path

from app.evolution.corpus import default_corpus_path
from app.evolution.variant import default_variant
from app.evolution.wiring import BudgetedStrategy, prioritised_mutants, strategies_for
from app.healing.candidates import SearchStrategy, TemplateStrategy
from app.healing.search import mutants


def _bug(case: str) -> tuple[str, int]:
    corpus = default_corpus_path()
    assert corpus is not None
    root = corpus / "logic" / case
    spec = json.loads((root / "case.json").read_text())
    return (root / spec["bug"]["path"]).read_text(), int(spec["bug"]["line"])


def test_the_default_variant_searches_exactly_as_the_healer_does() -> None:
    source, line = _bug("durations")

    ours = [m.source for m in islice(prioritised_mutants({}, 200)(source, line), 400)]
    theirs = [m.source for m in islice(mutants(source, line), 400)]

    assert ours == theirs


def test_an_operator_offset_moves_its_edits_later() -> None:
    source, line = _bug("durations")  # fixed by a binary_operator edit, rank 4

    default_first = next(iter(prioritised_mutants({}, 0)(source, line)))
    demoted = list(prioritised_mutants({"binary_operator": 100.0}, 0)(source, line))
    operators = [m.operator for m in demoted]

    assert default_first.operator == "binary_operator"
    assert operators[0] != "binary_operator"
    first_binary = operators.index("binary_operator")
    assert all(op == "binary_operator" for op in operators[first_binary:])


def test_strategies_follow_the_variant_order_templates_and_budgets() -> None:
    variant = default_variant().derive(
        "search first, capped",
        strategy_order=("search", "template", "llm"),
        strategy_budgets={"search": 5},
        templates=("none_guard", "missing_key"),
    )

    built = strategies_for(variant, llm_provider=None)

    assert [s.name for s in built] == ["search", "template", "revert"]  # no LLM configured
    assert isinstance(built[0], BudgetedStrategy) and built[0].limit == 5
    assert isinstance(built[0].inner, SearchStrategy)
    assert isinstance(built[1], TemplateStrategy)
    assert [t.name for t in built[1].templates] == ["none_guard", "missing_key"]


async def test_a_budgeted_strategy_stops_after_its_limit(tmp_path: Path) -> None:
    from app.healing.candidates import RepairContext
    from app.healing.incidents import incident_from_traceback
    from app.healing.localise import RepositoryFiles, suspicious_locations

    source, line = _bug("durations")
    (tmp_path / "durations.py").write_text(source)
    incident = incident_from_traceback(
        "Traceback (most recent call last):\n"
        f'  File "{tmp_path}/durations.py", line {line}, in f\n'
        "    x\nValueError: wrong\n"
    )
    files = RepositoryFiles(tmp_path)
    context = RepairContext(files, incident, tuple(suspicious_locations(incident, files)))
    inner = SearchStrategy(prioritised_mutants({}, 0))

    capped = [c async for c in BudgetedStrategy(inner, 3).propose(context)]
    uncapped = [c async for c in inner.propose(context)]

    assert len(capped) == 3
    assert len(uncapped) > 3
    assert [c.key for c in capped] == [c.key for c in uncapped[:3]]
