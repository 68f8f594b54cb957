"""The fix prompt: localised numbered code, the incident, conventions, and no secrets."""

from __future__ import annotations

import textwrap

from app.healing.incidents.model import (
    ExceptionInfo,
    FailingTest,
    Frame,
    Incident,
    IncidentSource,
)
from app.healing.llm_edits import build_fix_prompt, localised_code, redact

PAYMENTS = textwrap.dedent(
    '''
    """Card payments through the gateway."""

    import os

    GATEWAY_URL = "https://payments:hunter2@gateway.example/v1"
    API_KEY = "sk-live-4f9c2a7b1e8d3c6a5b0f"


    def authorise(card, amount):
        token = os.environ.get("TOKEN")
        if amount < 0:
            raise ValueError("negative amount")
        return {"card": card.number[-4:], "amount": amount * 100, "token": token}


    def refund(payment):
        return payment["amount"] / 100
    '''
).lstrip()

INCIDENT = Incident(
    source=IncidentSource.TRACEBACK,
    exceptions=(
        ExceptionInfo(
            type="TypeError",
            value="'NoneType' object is not subscriptable",
            frames=(Frame("payments.py", "authorise", 13, context_line="return {...}"),),
        ),
    ),
    failing_tests=(FailingTest("tests/test_payments.py::test_authorise_without_card"),),
)


def test_prompt_asks_for_the_json_edit_and_shows_the_incident() -> None:
    system, user = build_fix_prompt(
        path="payments.py",
        source=PAYMENTS,
        lines=[13],
        incident=INCIDENT,
        conventions="Amounts are integers in cents.",
    )
    assert system["role"] == "system" and '"replacement"' in system["content"]
    assert user["role"] == "user"
    text = user["content"]
    assert "TypeError: 'NoneType' object is not subscriptable" in text
    assert "payments.py:13 in authorise" in text
    assert "tests/test_payments.py::test_authorise_without_card" in text
    assert "Amounts are integers in cents." in text
    assert "indentation: '    '" in text


def test_code_is_the_enclosing_function_numbered_with_the_line_marked() -> None:
    excerpt = localised_code(PAYMENTS, [13])
    lines = excerpt.splitlines()
    assert lines[0] == "    9 | def authorise(card, amount):"
    assert ">> 13 |     return" in excerpt
    assert "def refund" not in excerpt
    assert "API_KEY" not in excerpt


def test_module_level_lines_get_a_window_of_context() -> None:
    excerpt = localised_code(PAYMENTS, [6], context=2)
    numbers = [int(line[3:].split("|")[0]) for line in excerpt.splitlines()]
    assert numbers == [4, 5, 6, 7, 8]


def test_secrets_never_reach_the_prompt() -> None:
    _, user = build_fix_prompt(
        path="payments.py",
        source=PAYMENTS,
        lines=[5, 6, 13],
        incident="Gateway refused: Authorization: Bearer abcdef0123456789xyz for ghp_" + "a" * 36,
    )
    text = user["content"]
    for secret in ("hunter2", "sk-live-4f9c2a7b1e8d3c6a5b0f", "abcdef0123456789xyz", "ghp_aaaa"):
        assert secret not in text
    assert 'API_KEY = "[redacted]"' in text
    assert "https://payments:[redacted]@gateway.example/v1" in text
    # Code that merely mentions a token keeps its meaning.
    assert 'token = os.environ.get("TOKEN")' in text


def test_redaction_leaves_ordinary_code_alone() -> None:
    code = 'name = "Ada"\nlimit = compute_limit(key)\nurl = "https://example.org/a:b"\n'
    assert redact(code) == code
