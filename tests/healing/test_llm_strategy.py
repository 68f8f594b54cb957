"""The LLM strategy: prompts without secrets, structured edits through the pipeline, budgets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from app.data.fix_memory import FixMemory, FixOutcome, RememberedFix
from app.data.vector import QdrantStore
from app.events.model import Event, EventType
from app.healing.candidate_search import Budget
from app.healing.candidates import Candidate, RepairContext, SearchStrategy, TemplateStrategy
from app.healing.engine import build_healer, default_strategies, heal_repository
from app.healing.incidents import incident_from_sentry, incident_from_traceback
from app.healing.incidents.model import ExceptionInfo, Frame, Incident, IncidentSource
from app.healing.llm_strategy import LLMStrategy
from app.healing.localise import RepositoryFiles, suspicious_locations
from app.healing.pipeline import Healer
from app.healing.runner import SandboxCommandRunner
from app.healing.search import mutants
from app.llm import LLMProviderAbstraction
from app.settings import Settings
from tests.healing.conftest import KINTSUGI_TESTS, capture_sentry_event, write_repo

ENDPOINT = "http://llm.test/v1/chat/completions"
PROVIDER_KEY = "sk-provider-key-must-stay-in-the-header-0001"
# Prices registered for the fake model, so each answer has a known cost.
INPUT_PRICE, OUTPUT_PRICE = 0.001, 0.002
PROMPT_TOKENS, ANSWER_TOKENS = 600, 100
COST_PER_CALL = PROMPT_TOKENS * INPUT_PRICE + ANSWER_TOKENS * OUTPUT_PRICE


@pytest.fixture
def fake_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.MockRouter]:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    monkeypatch.setattr(litellm, "disable_aiohttp_transport", True)
    monkeypatch.setitem(
        litellm.model_cost,
        "openai/test-model",
        {
            "input_cost_per_token": INPUT_PRICE,
            "output_cost_per_token": OUTPUT_PRICE,
            "litellm_provider": "openai",
            "mode": "chat",
        },
    )
    with respx.mock(assert_all_mocked=True) as router:
        yield router


def provider(**options: Any) -> LLMProviderAbstraction:
    return LLMProviderAbstraction(
        "openai/test-model",
        api_base="http://llm.test/v1",
        api_key=PROVIDER_KEY,
        max_retries=0,
        settings=Settings(_env_file=None),
        **options,
    )


def reply(content: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-strategy",
            "object": "chat.completion",
            "created": 1_716_000_000,
            "model": "test-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": PROMPT_TOKENS,
                "completion_tokens": ANSWER_TOKENS,
                "total_tokens": PROMPT_TOKENS + ANSWER_TOKENS,
            },
        },
    )


def edit_answer(**edit: Any) -> str:
    return f"Here is the fix.\n```json\n{json.dumps(edit)}\n```\n"


def sent_messages(route: respx.Route, call: int = 0) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = json.loads(route.calls[call].request.content)["messages"]
    return messages


@pytest.fixture(scope="module")
def runner() -> SandboxCommandRunner:
    return SandboxCommandRunner()


@pytest.fixture
def labels_repo(tmp_path: Path) -> Path:
    """Prices are shown with one decimal where two are due: no template or small edit fixes it."""
    return write_repo(
        tmp_path / "labels",
        {
            "pyproject.toml": """
                [project]
                name = "labels"
                requires-python = ">=3.11"

                [tool.ruff]
                line-length = 88
            """,
            "shop/__init__.py": "",
            "shop/labels.py": """
                def price_label(amount_cents):
                    euros = amount_cents / 100
                    return "{:.1f} EUR".format(euros)


                def item_label(name, amount_cents):
                    return name + ": " + price_label(amount_cents)
            """,
            "tests/test_labels.py": """
                from shop.labels import item_label, price_label


                def test_item_label_names_the_item():
                    assert item_label("Tea", 250).startswith("Tea: ")


                def test_prices_show_euros_and_cents():
                    assert price_label(1999) == "19.99 EUR"
            """,
        },
    )


LABELS_FIX = {
    "file": "shop/labels.py",
    "function": "price_label",
    "replacement": 'euros = amount_cents / 100\nreturn "{:.2f} EUR".format(euros)\n',
    "explanation": "Prices are shown to the cent, but the format kept one decimal.",
}


@pytest.mark.sandbox
async def test_llm_edit_becomes_a_validated_fix_where_templates_and_search_find_none(
    fake_llm: respx.MockRouter, labels_repo: Path, runner: SandboxCommandRunner
) -> None:
    route = fake_llm.post(ENDPOINT).mock(return_value=reply(edit_answer(**LABELS_FIX)))
    llm = provider()
    events: list[Event] = []
    healer = build_healer(
        runner=runner,
        publish=events.append,
        budget=Budget(seconds=120, max_candidates=20),
        strategies=[
            TemplateStrategy(),
            SearchStrategy(mutants, max_locations=2, per_location=4),
            LLMStrategy(llm),
        ],
    )

    result = await heal_repository(healer, labels_repo, tests=KINTSUGI_TESTS)

    fix = result.fix
    assert fix is not None and fix.strategy == "llm"
    assert '-    return "{:.1f} EUR".format(euros)' in fix.diff
    assert '+    return "{:.2f} EUR".format(euros)' in fix.diff
    assert fix.description == LABELS_FIX["explanation"]
    assert fix.evidence.after == {"passed": 2, "failed": 0, "total": 2}
    assert fix.evidence.llm_cost_usd == pytest.approx(COST_PER_CALL)
    assert llm.usage.calls == 1 and llm.usage.cost_usd == pytest.approx(COST_PER_CALL)
    # The cheaper strategies had their turn first and failed.
    tried = [
        e.payload["strategy"] for e in events if e.type == EventType.HEALING_CANDIDATE_REJECTED
    ]
    assert tried and set(tried) <= {"template", "search"}
    prompt = sent_messages(route)[1]["content"]
    assert 'return "{:.1f} EUR".format(euros)' in prompt
    assert "tests/test_labels.py::test_prices_show_euros_and_cents" in prompt
    assert 'assert price_label(1999) == "19.99 EUR"' in prompt  # the failing test's code
    assert "- line length 88 (ruff)" in prompt and "- Python >=3.11" in prompt
    assert "{:.1f}" in (labels_repo / "shop/labels.py").read_text()  # validated on copies


@pytest.mark.sandbox
async def test_unreproduced_llm_fix_gets_low_confidence(
    fake_llm: respx.MockRouter, orders_repo: Path, runner: SandboxCommandRunner
) -> None:
    fake_llm.post(ENDPOINT).mock(
        return_value=reply(
            edit_answer(
                file="shop/orders.py",
                start_line=2,
                end_line=2,
                replacement='return order["price"] * order.get("qty", 1)',
                explanation="An order without a quantity is one item.",
            )
        )
    )
    text = (
        "Traceback (most recent call last):\n"
        '  File "/srv/app/shop/orders.py", line 2, in total\n'
        '    return order["price"] * order["qty"]\n'
        "KeyError: 'qty'\n"
    )

    result = await Healer(runner, [LLMStrategy(provider())]).heal(
        orders_repo, incident_from_traceback(text), tests=KINTSUGI_TESTS
    )

    assert result.fix is not None and result.fix.strategy == "llm"
    assert not result.reproduced
    assert result.fix.confidence <= 0.5


SECRET_TOKEN = "tok-live-5e4d3c2b1a"
CONFIG_SECRET = "cfg-secret-9f8e7d6c5b"


@pytest.fixture
def gateway_repo(tmp_path: Path) -> Path:
    return write_repo(
        tmp_path / "gateway",
        {
            "pay/__init__.py": "",
            "pay/gateway.py": f"""
                class Client:
                    def __init__(self, api_key):
                        self.api_key = api_key


                def charge(order, api_token):
                    client = Client(api_key="{CONFIG_SECRET}")
                    return order["amount"] * 100
            """,
        },
    )


def gateway_incident(repo: Path) -> Incident:
    return Incident(
        source=IncidentSource.SENTRY,
        exceptions=(
            ExceptionInfo(
                "KeyError",
                "'amount'",
                (
                    Frame(
                        str(repo / "pay/gateway.py"),
                        "charge",
                        8,
                        context_line='    return order["amount"] * 100',
                        in_app=True,
                        vars={"order": "{'total': 12}", "api_token": repr(SECRET_TOKEN)},
                    ),
                ),
            ),
        ),
    )


def context_for(repo: Path, incident: Incident) -> RepairContext:
    files = RepositoryFiles(repo)
    return RepairContext(files, incident, tuple(suspicious_locations(incident, files)))


async def proposals(strategy: LLMStrategy, context: RepairContext) -> list[Candidate]:
    return [candidate async for candidate in strategy.propose(context)]


async def test_secrets_never_reach_the_request_sent_to_the_llm(
    fake_llm: respx.MockRouter, gateway_repo: Path
) -> None:
    route = fake_llm.post(ENDPOINT).mock(
        return_value=reply(
            edit_answer(
                file="pay/gateway.py",
                start_line=8,
                end_line=8,
                replacement='return order.get("amount", order.get("total", 0)) * 100',
                explanation="Orders from the old checkout carry `total`.",
            )
        )
    )

    [candidate] = await proposals(
        LLMStrategy(provider(), attempts_per_location=1),
        context_for(gateway_repo, gateway_incident(gateway_repo)),
    )

    body = route.calls[0].request.content.decode()
    assert SECRET_TOKEN not in body and CONFIG_SECRET not in body and PROVIDER_KEY not in body
    assert route.calls[0].request.headers["authorization"] == f"Bearer {PROVIDER_KEY}"
    prompt = sent_messages(route)[1]["content"]
    assert "order = {'total': 12}" in prompt  # the useful variables are shown
    assert "api_token = [redacted]" in prompt
    assert candidate.strategy == "llm" and candidate.refusal is None
    assert f'Client(api_key="{CONFIG_SECRET}")' in candidate.changes["pay/gateway.py"]


async def test_an_edit_copying_a_redacted_value_back_is_refused(
    fake_llm: respx.MockRouter, gateway_repo: Path
) -> None:
    body = 'client = Client(api_key="[redacted]")\nreturn order.get("amount", 0) * 100\n'
    fake_llm.post(ENDPOINT).mock(
        return_value=reply(edit_answer(file="pay/gateway.py", function="charge", replacement=body))
    )

    [candidate] = await proposals(
        LLMStrategy(provider(), attempts_per_location=1),
        context_for(gateway_repo, gateway_incident(gateway_repo)),
    )

    assert candidate.changes == {}
    assert candidate.refusal == "the LLM edit writes a redacted placeholder into the code"


async def test_malformed_answer_yields_no_candidate_and_is_asked_again_with_the_reason(
    fake_llm: respx.MockRouter, gateway_repo: Path
) -> None:
    route = fake_llm.post(ENDPOINT).mock(
        return_value=reply("Change line 8 so it uses .get() — that should do it.")
    )

    found = await proposals(
        LLMStrategy(provider(), attempts_per_location=2),
        context_for(gateway_repo, gateway_incident(gateway_repo)),
    )

    assert [candidate.changes for candidate in found] == [{}, {}]
    assert all(c.refusal and "not the JSON edit" in c.refusal for c in found)
    assert route.call_count == 2
    retry = sent_messages(route, 1)
    assert retry[-2]["role"] == "assistant" and "uses .get()" in retry[-2]["content"]
    assert retry[-1]["content"].startswith("That answer was refused: the LLM answer is not")


@pytest.mark.sandbox
async def test_malformed_answer_is_recorded_as_rejected_and_never_tried(
    fake_llm: respx.MockRouter, orders_repo: Path, runner: SandboxCommandRunner
) -> None:
    fake_llm.post(ENDPOINT).mock(return_value=reply('{"file": "shop/orders.py"}'))
    incident = incident_from_sentry(capture_sentry_event(orders_repo / "trigger.py", orders_repo))
    events: list[Event] = []

    result = await Healer(
        runner, [LLMStrategy(provider(), attempts_per_location=1)], publish=events.append
    ).heal(orders_repo, incident, tests=KINTSUGI_TESTS)

    assert result.fix is None and result.candidates_tried == 0
    rejected = [e.payload for e in events if e.type == EventType.HEALING_CANDIDATE_REJECTED]
    assert rejected and {p["strategy"] for p in rejected} == {"llm"}
    assert rejected[0]["reason"] == "the LLM edit has no replacement code"
    assert events[-1].type == EventType.HEALING_FIX_NOT_FOUND
    assert events[-1].payload["llm_cost_usd"] == pytest.approx(
        COST_PER_CALL * len(rejected), rel=1e-3
    )


async def test_spent_cost_budget_stops_further_calls_and_each_case_starts_afresh(
    fake_llm: respx.MockRouter, gateway_repo: Path
) -> None:
    route = fake_llm.post(ENDPOINT).mock(return_value=reply("no idea"))
    llm = provider(cost_budget_usd=COST_PER_CALL / 2)  # one call overspends it
    strategy = LLMStrategy(llm, max_locations=3, attempts_per_location=2)
    context = context_for(gateway_repo, gateway_incident(gateway_repo))

    first_case = await proposals(strategy, context)
    assert route.call_count == 1 and len(first_case) == 1  # the retry was never asked
    assert llm.usage.cost_usd == pytest.approx(COST_PER_CALL)

    second_case = await proposals(strategy, context)

    # A new case spends from a fresh budget: its first prompt comes free from the cache, so
    # its retry is still asked.
    assert route.call_count == 2 and len(second_case) == 2
    assert llm.usage.cache_hits == 1
    assert llm.usage.cost_usd == pytest.approx(2 * COST_PER_CALL)


def test_without_an_llm_the_default_strategies_are_offline_ones() -> None:
    unconfigured = LLMProviderAbstraction(settings=Settings(_env_file=None))
    assert [s.name for s in default_strategies()] == ["template", "search", "revert"]
    assert [s.name for s in default_strategies(unconfigured)] == ["template", "search", "revert"]
    configured = default_strategies(provider())
    assert [s.name for s in configured] == ["template", "search", "llm", "revert"]
    assert isinstance(configured[-2], LLMStrategy)


@pytest.mark.sandbox
async def test_healing_without_an_llm_still_fixes_a_crash_offline(
    fake_llm: respx.MockRouter, orders_repo: Path, runner: SandboxCommandRunner
) -> None:
    unconfigured = LLMProviderAbstraction(settings=Settings(_env_file=None))
    incident = incident_from_sentry(capture_sentry_event(orders_repo / "trigger.py", orders_repo))

    result = await build_healer(runner=runner, llm_provider=unconfigured).heal(
        orders_repo, incident, tests=KINTSUGI_TESTS
    )

    assert result.fix is not None and result.fix.strategy == "template"
    assert not fake_llm.calls


async def test_merged_fixes_of_similar_incidents_and_variant_guidance_are_in_the_prompt(
    fake_llm: respx.MockRouter, gateway_repo: Path
) -> None:
    route = fake_llm.post(ENDPOINT).mock(return_value=reply("no idea"))
    memory = FixMemory(QdrantStore(":memory:"))

    def past(incident_id: str, diff: str, outcome: FixOutcome) -> RememberedFix:
        return RememberedFix(
            incident_id, "KeyError", "'amount'", ("pay/gateway.py:charge",), "", diff, outcome
        )

    await memory.remember(
        past("old-1", "+    amount = order.get('amount', 0)", FixOutcome.MERGED),
        past("old-2", "+    raise SystemExit", FixOutcome.REJECTED),
    )

    await proposals(
        LLMStrategy(
            provider(),
            attempts_per_location=1,
            fix_memory=memory,
            guidance="Prefer a guard at the crash site to a try/except around the caller.",
        ),
        context_for(gateway_repo, gateway_incident(gateway_repo)),
    )

    prompt = sent_messages(route)[1]["content"]
    assert "Fixes maintainers merged for similar incidents" in prompt
    assert "amount = order.get('amount', 0)" in prompt
    assert "SystemExit" not in prompt
    assert "Prefer a guard at the crash site" in prompt
