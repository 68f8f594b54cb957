"""LLMProviderAbstraction against a fake OpenAI-compatible endpoint (respx); never the network."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import respx

from app.errors import ConfigurationError, PermanentError, TransientError
from app.llm import (
    CostBudgetExceeded,
    InMemoryResponseCache,
    LLMProviderAbstraction,
    translate_error,
)
from app.settings import Settings

ENDPOINT = "http://llm.test/v1/chat/completions"
SECRET = "sk-test-do-not-leak-0123456789"


def completion(
    content: str, model: str = "gpt-4o-mini", prompt: int = 100, output: int = 20
) -> httpx.Response:
    """A chat-completions body shaped like OpenAI's, `usage` included."""
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-abc123",
            "object": "chat.completion",
            "created": 1_716_000_000,
            "model": model,
            "system_fingerprint": "fp_test",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": output,
                "total_tokens": prompt + output,
            },
        },
    )


def error(status: int) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": f"status {status}", "type": "x"}})


@pytest.fixture
def fake_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.MockRouter]:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    # litellm's default aiohttp transport bypasses httpx, where respx intercepts.
    monkeypatch.setattr(litellm, "disable_aiohttp_transport", True)
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as router:
        yield router


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def provider(**options: Any) -> tuple[LLMProviderAbstraction, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    options.setdefault("model", "openai/gpt-4o-mini")
    options.setdefault("api_base", "http://llm.test/v1")
    options.setdefault("api_key", SECRET)
    options.setdefault("max_retries", 2)
    llm = LLMProviderAbstraction(sleep=sleep, settings=settings(), **options)
    return llm, slept


def expected_cost(prompt: int, output: int) -> float:
    import litellm

    prices = litellm.model_cost["gpt-4o-mini"]
    return float(prompt * prices["input_cost_per_token"] + output * prices["output_cost_per_token"])


async def test_unconfigured_provider_says_how_to_configure_it() -> None:
    llm = LLMProviderAbstraction(settings=settings())
    assert not llm.configured
    with pytest.raises(ConfigurationError, match="LLM_MODEL"):
        await llm.complete("fix this")


def test_blank_settings_from_the_env_template_mean_no_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "LLM_MODEL",
        "LLM_FALLBACKS",
        "LLM_API_BASE",
        "LLM_API_KEY",
        "LLM_COST_BUDGET_USD",
    ):
        monkeypatch.setenv(name, "")
    llm = LLMProviderAbstraction(settings=settings())
    assert not llm.configured
    assert (llm.fallbacks, llm.api_base, llm.cost_budget_usd) == ((), None, None)


def test_options_default_to_the_llm_settings() -> None:
    llm = LLMProviderAbstraction(
        settings=settings(
            llm_model="openai/gpt-4o",
            llm_fallbacks="openai/gpt-4o-mini, anthropic/claude-3-haiku-20240307",
            llm_api_base="http://llm.test/v1",
            llm_api_key=SECRET,
            llm_timeout_seconds=12,
            llm_max_retries=4,
            llm_cost_budget_usd=0.5,
        )
    )
    assert llm.configured
    assert llm.models == (
        "openai/gpt-4o",
        "openai/gpt-4o-mini",
        "anthropic/claude-3-haiku-20240307",
    )
    assert (llm.api_base, llm.timeout_seconds, llm.max_retries, llm.cost_budget_usd) == (
        "http://llm.test/v1",
        12,
        4,
        0.5,
    )
    assert SECRET not in repr(llm)


async def test_sends_exactly_the_chat_request(fake_llm: respx.MockRouter) -> None:
    route = fake_llm.post(ENDPOINT).mock(return_value=completion('{"ok": true}'))
    llm, _ = provider()
    answer = await llm.complete(
        "Fix the off-by-one.", system="You repair Python code.", max_tokens=256
    )
    assert answer.text == '{"ok": true}'
    assert answer.model == "openai/gpt-4o-mini"
    assert route.call_count == 1
    request = route.calls[0].request
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert json.loads(request.content) == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "You repair Python code."},
            {"role": "user", "content": "Fix the off-by-one."},
        ],
        "temperature": 0.0,
        "max_tokens": 256,
    }


async def test_rate_limits_and_server_errors_are_retried_with_backoff(
    fake_llm: respx.MockRouter,
) -> None:
    route = fake_llm.post(ENDPOINT).mock(side_effect=[error(429), error(500), completion("done")])
    llm, slept = provider(backoff_seconds=0.5)
    answer = await llm.complete("hello")
    assert answer.text == "done"
    assert route.call_count == 3
    assert slept == [0.5, 1.0]
    assert (llm.usage.calls, llm.usage.failures) == (1, 2)


async def test_exhausted_retries_fall_back_to_the_next_model(fake_llm: respx.MockRouter) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        model = json.loads(request.content)["model"]
        return error(503) if model == "gpt-4o" else completion("from fallback", model=model)

    route = fake_llm.post(ENDPOINT).mock(side_effect=answer)
    llm, slept = provider(model="openai/gpt-4o", fallbacks=["openai/gpt-4o-mini"], max_retries=1)
    result = await llm.complete("hello")
    assert (result.text, result.model) == ("from fallback", "openai/gpt-4o-mini")
    sent = [json.loads(call.request.content)["model"] for call in route.calls]
    assert sent == ["gpt-4o", "gpt-4o", "gpt-4o-mini"]
    assert slept == [0.5]


async def test_a_hanging_endpoint_times_out_as_a_transient_error(
    fake_llm: respx.MockRouter,
) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)
        return completion("too late")

    fake_llm.post(ENDPOINT).mock(side_effect=hang)
    llm, slept = provider(timeout_seconds=0.1, max_retries=1)
    with pytest.raises(TransientError, match="TimeoutError"):
        await llm.complete("hello")
    # Both attempts were cut off (respx records a call only once it is answered).
    assert slept == [0.5]
    assert llm.usage.failures == 2


async def test_permanent_errors_are_not_retried(fake_llm: respx.MockRouter) -> None:
    route = fake_llm.post(ENDPOINT).mock(return_value=error(401))
    llm, slept = provider()
    with pytest.raises(PermanentError, match="HTTP 401") as raised:
        await llm.complete("hello")
    assert route.call_count == 1
    assert slept == []
    assert SECRET not in str(raised.value)


async def test_identical_prompts_are_served_from_the_cache(fake_llm: respx.MockRouter) -> None:
    route = fake_llm.post(ENDPOINT).mock(side_effect=[completion("first"), completion("second")])
    llm, _ = provider()
    first = await llm.complete("same question")
    again = await llm.complete("same question")
    other = await llm.complete("another question")
    assert (first.text, again.text, other.text) == ("first", "first", "second")
    assert (first.cached, again.cached) == (False, True)
    assert route.call_count == 2
    assert llm.usage.cache_hits == 1


async def test_tokens_and_cost_accumulate(fake_llm: respx.MockRouter) -> None:
    fake_llm.post(ENDPOINT).mock(
        side_effect=[completion("a", prompt=100, output=20), completion("b", prompt=300, output=50)]
    )
    llm, _ = provider()
    first = await llm.complete("one")
    await llm.complete("two")
    assert first.cost_usd == pytest.approx(expected_cost(100, 20))
    assert (llm.usage.prompt_tokens, llm.usage.completion_tokens) == (400, 70)
    assert llm.usage.cost_usd == pytest.approx(expected_cost(400, 70))
    assert llm.usage.cost_usd > 0


async def test_spent_budget_stops_further_calls(fake_llm: respx.MockRouter) -> None:
    route = fake_llm.post(ENDPOINT).mock(return_value=completion("a"))
    llm, _ = provider(cost_budget_usd=expected_cost(100, 20) / 2)
    await llm.complete("one")
    with pytest.raises(CostBudgetExceeded, match="budget"):
        await llm.complete("two")
    assert route.call_count == 1
    case = llm.for_case(cost_budget_usd=1.0)
    assert (await case.complete("two")).text == "a"
    assert case.usage.calls == 1 and llm.usage.calls == 1


async def test_the_api_key_never_reaches_the_logs(
    fake_llm: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    fake_llm.post(ENDPOINT).mock(side_effect=[error(500), error(500), error(500), error(400)])
    llm, _ = provider(fallbacks=["openai/gpt-4o"])
    with caplog.at_level(logging.DEBUG), pytest.raises(PermanentError):
        await llm.complete("hello")
    assert "llm model failed" in caplog.text
    assert SECRET not in caplog.text


async def test_lru_cache_evicts_the_least_recently_used() -> None:
    cache = InMemoryResponseCache(max_entries=2)
    await cache.set("a", "1")
    await cache.set("b", "2")
    assert await cache.get("a") == "1"
    await cache.set("c", "3")
    assert await cache.get("b") is None
    assert (await cache.get("a"), await cache.get("c")) == ("1", "3")


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (429, TransientError),
        (500, TransientError),
        (503, TransientError),
        (408, TransientError),
        (400, PermanentError),
        (401, PermanentError),
        (404, PermanentError),
    ],
)
def test_errors_are_translated_by_what_to_do_about_them(status: int, kind: type[Exception]) -> None:
    class ProviderError(Exception):
        status_code = status

    assert isinstance(translate_error(ProviderError("boom")), kind)


async def test_shared_response_cache_keeps_answers_in_the_apps_cache() -> None:
    from app.data.cache import InProcessCache
    from app.llm import SharedResponseCache

    backing = InProcessCache()
    cache = SharedResponseCache(backing, ttl=60)

    assert await cache.get("prompt-digest") is None
    await cache.set("prompt-digest", '{"answer": 42}')

    assert await cache.get("prompt-digest") == '{"answer": 42}'
    assert await backing.get("llm:prompt-digest") == '{"answer": 42}'
    await backing.set("llm:other", {"not": "text"})
    assert await cache.get("other") is None


def test_workers_give_each_case_a_fresh_llm_budget_only_when_a_model_is_set() -> None:
    from app.data.cache import InProcessCache
    from app.settings import Settings
    from workers.github_handlers import _llm_for_case

    offline = Settings(_env_file=None)  # type: ignore[call-arg]
    online = Settings(_env_file=None, llm_model="openai/test-model", llm_cost_budget_usd=0.5)  # type: ignore[call-arg]

    assert _llm_for_case(offline, InProcessCache()) is None
    factory = _llm_for_case(online, InProcessCache())
    assert factory is not None
    first, second = factory(), factory()
    assert first is not second
    assert first.configured and first.model == "openai/test-model"
