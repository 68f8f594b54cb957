"""The LLM port: litellm behind one interface, with fallbacks, retries, costs and a cache."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, replace
from types import ModuleType
from typing import Any, Protocol, TypedDict

from pydantic import SecretStr

from app.data.ports import Cache
from app.errors import ConfigurationError, PermanentError, TransientError
from app.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Status codes worth another try: timeouts, conflicts, rate limits and server-side failures.
_TRANSIENT_STATUS = frozenset({408, 409, 429})
_MAX_BACKOFF_SECONDS = 30.0
_TIMEOUT_GRACE = 1.5


class ChatMessage(TypedDict):
    role: str
    content: str


@dataclass(frozen=True)
class LLMResponse:
    """One answer: its text, which model gave it, what it cost, and whether it came from cache."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    cached: bool = False


@dataclass
class LLMUsage:
    """What a provider has consumed so far (cache hits cost nothing)."""

    calls: int = 0
    cache_hits: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class CostBudgetExceeded(PermanentError):
    """The configured LLM spend is used up: no further calls until a new budget."""


class ResponseCache(Protocol):
    """Where identical prompts find their earlier answer (in-process by default, Redis in prod)."""

    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str) -> None: ...


class InMemoryResponseCache:
    """A bounded least-recently-used cache inside this process."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, str] = OrderedDict()

    async def get(self, key: str) -> str | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    async def set(self, key: str, value: str) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def _litellm() -> ModuleType:
    """Import litellm on first use: it is slow to import and must not fetch its cost map."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


class LLMProviderAbstraction:
    """Chat completions through litellm; every unset option comes from the `llm_*` settings."""

    def __init__(
        self,
        model: str | None = None,
        *,
        fallbacks: Sequence[str] | None = None,
        api_base: str | None = None,
        api_key: SecretStr | str | None = None,
        timeout_seconds: float | None = None,
        max_retries: int | None = None,
        cost_budget_usd: float | None = None,
        cache: ResponseCache | None = None,
        backoff_seconds: float = 0.5,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        settings: Settings | None = None,
    ) -> None:
        settings = settings or get_settings()
        self.model = model or settings.llm_model or None
        if fallbacks is None:
            fallbacks = [name.strip() for name in settings.llm_fallbacks.split(",")]
        self.fallbacks = tuple(name for name in fallbacks if name)
        self.api_base = api_base or settings.llm_api_base
        key = api_key if api_key is not None else settings.llm_api_key
        self._api_key = SecretStr(key) if isinstance(key, str) else key
        self.timeout_seconds = timeout_seconds or settings.llm_timeout_seconds
        self.max_retries = settings.llm_max_retries if max_retries is None else max_retries
        self.cost_budget_usd = (
            settings.llm_cost_budget_usd if cost_budget_usd is None else cost_budget_usd
        )
        self.cache: ResponseCache = cache if cache is not None else InMemoryResponseCache()
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep
        self.usage = LLMUsage()

    @property
    def configured(self) -> bool:
        return bool(self.model)

    @property
    def models(self) -> tuple[str, ...]:
        return (self.model, *self.fallbacks) if self.model else ()

    def __repr__(self) -> str:
        # The key is deliberately absent: reprs end up in logs and tracebacks.
        return f"LLMProviderAbstraction(model={self.model!r}, fallbacks={self.fallbacks!r})"

    def for_case(self, cost_budget_usd: float | None = None) -> LLMProviderAbstraction:
        """The same provider and cache with a fresh spend counter, e.g. one per healing case."""
        fresh = LLMProviderAbstraction.__new__(LLMProviderAbstraction)
        fresh.__dict__.update(self.__dict__)
        fresh.usage = LLMUsage()
        if cost_budget_usd is not None:
            fresh.cost_budget_usd = cost_budget_usd
        return fresh

    async def generate(self, prompt: str, *, system: str | None = None) -> str:
        """The answer's text alone, for callers that need nothing else."""
        return (await self.complete(prompt, system=system)).text

    async def complete(
        self,
        prompt: str | Sequence[ChatMessage],
        *,
        system: str | None = None,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> LLMResponse:
        """Ask the first model that answers; identical requests are served from the cache."""
        if not self.configured:
            raise ConfigurationError(
                "No LLM is configured: set LLM_MODEL to a litellm model string "
                "(for example `openai/gpt-4o-mini`) to enable LLM-generated fixes."
            )
        messages = _messages(prompt, system)
        options: dict[str, Any] = {"temperature": temperature}
        if max_tokens is not None:
            options["max_tokens"] = max_tokens
        key = _cache_key(self.models, messages, options)
        hit = await self.cache.get(key)
        if hit is not None:
            self.usage.cache_hits += 1
            return replace(LLMResponse(**json.loads(hit)), cached=True, cost_usd=0.0)
        self._check_budget()
        last_error: Exception | None = None
        for model in self.models:
            try:
                response = await self._with_retries(model, messages, options)
            except (TransientError, PermanentError) as error:
                last_error = error
                log.warning(
                    "llm model failed, trying the next",
                    extra={"llm_model": model, "error": type(error).__name__},
                )
                continue
            await self.cache.set(key, json.dumps(asdict(response)))
            return response
        assert last_error is not None
        raise last_error

    def _check_budget(self) -> None:
        budget = self.cost_budget_usd
        if budget is not None and self.usage.cost_usd >= budget:
            raise CostBudgetExceeded(
                f"LLM cost budget of ${budget:.4f} is spent (${self.usage.cost_usd:.4f} used)"
            )

    async def _with_retries(
        self, model: str, messages: list[ChatMessage], options: dict[str, Any]
    ) -> LLMResponse:
        for attempt in range(self.max_retries + 1):
            try:
                return await self._call(model, messages, options)
            except TransientError:
                self.usage.failures += 1
                if attempt == self.max_retries:
                    raise
                delay = min(_MAX_BACKOFF_SECONDS, self.backoff_seconds * 2**attempt)
                log.info(
                    "llm call failed transiently, retrying",
                    extra={"llm_model": model, "attempt": attempt + 1, "delay_seconds": delay},
                )
                await self._sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _call(
        self, model: str, messages: list[ChatMessage], options: dict[str, Any]
    ) -> LLMResponse:
        litellm = _litellm()
        arguments: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "timeout": self.timeout_seconds,
            "max_retries": 0,  # retries are ours, so they are counted and backed off once
            **options,
        }
        if self.api_base:
            arguments["api_base"] = self.api_base
        if self._api_key is not None and self._api_key.get_secret_value():
            arguments["api_key"] = self._api_key.get_secret_value()
        try:
            # litellm passes `timeout` on, but not every provider honours it: guard the call too.
            async with asyncio.timeout(self.timeout_seconds * _TIMEOUT_GRACE):
                raw = await litellm.acompletion(**arguments)
        except Exception as error:
            raise translate_error(error) from error
        response = _response(litellm, model, raw)
        self.usage.calls += 1
        self.usage.prompt_tokens += response.prompt_tokens
        self.usage.completion_tokens += response.completion_tokens
        self.usage.cost_usd += response.cost_usd
        return response


def translate_error(error: Exception) -> TransientError | PermanentError:
    """litellm's exception zoo, once, into what the caller should do about it."""
    status = getattr(error, "status_code", None)
    name = type(error).__name__
    transient = (
        isinstance(error, TimeoutError | ConnectionError)
        or name in {"Timeout", "APIConnectionError", "ServiceUnavailableError"}
        or (isinstance(status, int) and (status in _TRANSIENT_STATUS or status >= 500))
    )
    # The message names the class and status only: provider messages may echo request details.
    message = f"LLM call failed: {name}" + (f" (HTTP {status})" if status else "")
    return TransientError(message) if transient else PermanentError(message)


def _messages(prompt: str | Sequence[ChatMessage], system: str | None) -> list[ChatMessage]:
    messages: list[ChatMessage] = []
    if system:
        messages.append({"role": "system", "content": system})
    if isinstance(prompt, str):
        messages.append({"role": "user", "content": prompt})
    else:
        messages.extend(prompt)
    return messages


def _cache_key(models: Sequence[str], messages: list[ChatMessage], options: dict[str, Any]) -> str:
    material = json.dumps({"models": list(models), "messages": messages, **options}, sort_keys=True)
    return "llm:" + hashlib.sha256(material.encode()).hexdigest()


def _response(litellm: ModuleType, model: str, raw: Any) -> LLMResponse:
    usage = getattr(raw, "usage", None)
    prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
    completion_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
    try:
        cost = float(litellm.completion_cost(completion_response=raw, model=model))
    except Exception:  # litellm raises for models missing from its price map
        log.warning("llm cost unknown for model", extra={"llm_model": model})
        cost = 0.0
    choices = getattr(raw, "choices", None) or []
    content = choices[0].message.content if choices else None
    return LLMResponse(
        text=content or "",
        model=model,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost,
    )


class SharedResponseCache:
    """The response cache on the app's shared cache (Redis when configured), so identical
    prompts from any worker are answered once; answers expire after `ttl` seconds."""

    def __init__(self, cache: Cache, *, ttl: float = 7 * 24 * 3600) -> None:
        self._cache = cache
        self._ttl = ttl

    async def get(self, key: str) -> str | None:
        value = await self._cache.get(f"llm:{key}")
        return value if isinstance(value, str) else None

    async def set(self, key: str, value: str) -> None:
        await self._cache.set(f"llm:{key}", value, ttl=self._ttl)
