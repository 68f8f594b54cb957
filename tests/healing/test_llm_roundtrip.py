"""An LLM fix end to end: prompt sent over HTTP, structured answer parsed, applied, tests pass."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from app.healing.llm_edits import apply_edit, build_fix_prompt, parse_llm_edit
from app.llm import LLMProviderAbstraction
from app.settings import Settings

CASE = Path(__file__).resolve().parents[2] / "bench" / "corpus" / "logic" / "reorder"

FIXED_BODY = """\
\"\"\"An item is reordered once stock falls to its reorder level.\"\"\"
if item.discontinued:
    return False
return item.on_hand <= item.reorder_level
"""
EDIT = {
    "file": "stock.py",
    "function": "needs_reorder",
    "replacement": FIXED_BODY,
    "explanation": "`<` excluded items exactly at their reorder level.",
}
ANSWER = (
    "The reorder rule says stock *falls to* the level, so the comparison must include it.\n\n"
    f"```json\n{json.dumps(EDIT, indent=2)}\n```\n"
)


@pytest.fixture
def fake_llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.MockRouter]:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    monkeypatch.setattr(litellm, "disable_aiohttp_transport", True)
    with respx.mock(assert_all_mocked=True) as router:
        yield router


def reply(content: str) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-roundtrip",
            "object": "chat.completion",
            "created": 1_716_000_000,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 612, "completion_tokens": 118, "total_tokens": 730},
        },
    )


async def test_llm_answer_repairs_the_reorder_case(
    fake_llm: respx.MockRouter, tmp_path: Path
) -> None:
    route = fake_llm.post("http://llm.test/v1/chat/completions").mock(return_value=reply(ANSWER))
    repo = tmp_path / "repo"
    shutil.copytree(CASE, repo, ignore=shutil.ignore_patterns("__pycache__"))
    source = (repo / "stock.py").read_text()
    llm = LLMProviderAbstraction(
        "openai/gpt-4o-mini",
        api_base="http://llm.test/v1",
        api_key="sk-roundtrip-secret-000000",
        settings=Settings(_env_file=None),  # type: ignore[call-arg]
    )
    messages = build_fix_prompt(
        path="stock.py",
        source=source,
        lines=[19],
        incident="tests/test_stock.py::test_exactly_at_level_is_reordered failed: assert False",
    )
    answer = await llm.complete(messages)
    edit = parse_llm_edit(answer.text)
    fixed = apply_edit(source, edit, path="stock.py")
    (repo / "stock.py").write_text(fixed)

    sent = json.loads(route.calls[0].request.content)
    assert ">> 19 |     return item.on_hand < item.reorder_level" in sent["messages"][1]["content"]
    assert fixed == source.replace("item.on_hand < item", "item.on_hand <= item")
    assert llm.usage.prompt_tokens == 612
    suite = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        cwd=repo,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(suite.communicate(), timeout=60)
    assert suite.returncode == 0, output.decode()
