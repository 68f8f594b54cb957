"""The seed design's self-evolving example runs as written, on the defaults."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.sandbox


async def test_the_seed_example_evolves_on_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    from app.evolution import SelfEvolvingAI
    from app.llm import LLMProviderAbstraction

    # set-up
    llm_provider = LLMProviderAbstraction()
    evolving_ai = SelfEvolvingAI(llm_provider)

    # run one evolution
    result = await evolving_ai.evolve()

    print(f"Status: {result['status']}")
    print(f"Improvements applied: {result['improvements_applied']}")

    # evolution status
    status = evolving_ai.get_evolution_status()
    print(f"Stage: {status['stage']}")
    print(f"Improvements: {status['improvements_count']}")

    out = capsys.readouterr().out.splitlines()
    assert out[0] in ("Status: promoted", "Status: no_improvement")
    assert out[1] == f"Improvements applied: {1 if result['status'] == 'promoted' else 0}"
    assert out[2] == "Stage: idle"
    assert out[3] == f"Improvements: {result['improvements_applied']}"
    # it really replayed: the active variant on a sample of the corpus, and a challenger
    assert len(result["cases"]) == 5
    assert result["incumbent_replay"]["cases"] == 5
    assert result["incumbent_replay"]["fixed"] >= 4
    assert len(result["challengers"]) == 1


async def test_status_names_the_stage_while_running() -> None:
    from app.evolution import Progress, SelfEvolvingAI, Stage

    seen: list[Stage] = []
    evolver = SelfEvolvingAI(corpus=[], on_progress=lambda p: seen.append(p.stage))

    assert evolver.get_evolution_status()["stage"] == "idle"
    result = await evolver.evolve()

    assert result["status"] == "no_cases"
    assert seen[:2] == [Stage.ANALYSING, Stage.GENERATING] and seen[-1] == Stage.IDLE
    assert isinstance(Progress(Stage.IDLE, ""), Progress)
