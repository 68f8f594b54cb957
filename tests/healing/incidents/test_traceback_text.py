"""Reading incidents from traceback text and live exceptions."""

from __future__ import annotations

import pytest

from app.healing.incidents import (
    UnreadableIncident,
    incident_from_exception,
    incident_from_traceback,
)
from app.healing.incidents.redaction import REDACTED, is_secret_name

CHAINED = """\
2024-05-01 12:00:00 ERROR worker crashed
Traceback (most recent call last):
  File "/srv/app/shop/orders.py", line 2, in total
    return order["price"] * order["qty"]
                            ~~~~~^^^^^^^
KeyError: 'qty'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/srv/app/shop/api.py", line 10, in handle
    checkout(orders)
  File "/usr/lib/python3.11/site-packages/framework/core.py", line 99, in dispatch
    raise RuntimeError("checkout failed\\nsee above") from error
RuntimeError: checkout failed
see above
"""


def test_chained_traceback_text_is_read_oldest_first() -> None:
    incident = incident_from_traceback(CHAINED)

    assert [e.type for e in incident.exceptions] == ["KeyError", "RuntimeError"]
    first = incident.exceptions[0]
    assert first.value == "'qty'"
    assert first.frames[0].filename == "/srv/app/shop/orders.py"
    assert first.frames[0].lineno == 2
    assert first.frames[0].context_line == 'return order["price"] * order["qty"]'
    assert incident.exception.value == "checkout failed\nsee above"
    assert [f.function for f in incident.exception.frames] == ["handle", "dispatch"]


def test_exception_without_message_and_dotted_type() -> None:
    text = (
        'Traceback (most recent call last):\n  File "a.py", line 1, in <module>\n'
        "    f()\nmy.pkg.Boom\n"
    )

    incident = incident_from_traceback(text)

    assert incident.exception.type == "my.pkg.Boom"
    assert incident.exception.value == ""


def test_text_without_traceback_is_rejected_clearly() -> None:
    with pytest.raises(UnreadableIncident, match="no Python traceback found"):
        incident_from_traceback("everything is fine\n")


def _lookup(settings: dict[str, str], password: str) -> str:
    return settings["missing"]


def test_live_exception_keeps_locals_as_reprs_with_secrets_redacted() -> None:
    try:
        _lookup({"a": "b"}, password="hunter2")
    except KeyError as error:
        incident = incident_from_exception(error)

    crash = incident.exception.crash_frame
    assert crash is not None
    assert crash.function == "_lookup"
    assert crash.vars == {"settings": "{'a': 'b'}", "password": REDACTED}


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("api_token", True),
        ("password", True),
        ("dbPassword", True),
        ("AWS_SECRET_ACCESS_KEY", True),
        ("authorization", True),
        ("key", True),
        ("author", False),
        ("monkey", False),
        ("tokens_used_count", False),
    ],
)
def test_secret_names(name: str, secret: bool) -> None:
    assert is_secret_name(name) is secret
