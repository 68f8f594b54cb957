"""Fixtures for healing tests: small real repositories and real sentry-sdk events."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from app.environments.repository_tests import RepositoryTests
from app.healing.suite import DEFAULT_TEST_COMMAND

# Healing's own tests run the repositories they write on Kintsugi's interpreter: they need
# nothing installed, and their subject is the healing, not the environment.
KINTSUGI_TESTS = RepositoryTests.without_environment(DEFAULT_TEST_COMMAND)

_CAPTURE = """
import json, sys, runpy, sentry_sdk
captured = []
def keep(event, hint):
    captured.append(event)
    return None
sentry_sdk.init(dsn="http://public@127.0.0.1:9/1", before_send=keep, default_integrations=False)
sys.path.insert(0, sys.argv[2])
try:
    runpy.run_path(sys.argv[1], run_name="__main__")
except Exception:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
json.dump(captured[0], open(sys.argv[3], "w"), default=str)
"""


def capture_sentry_event(script: Path, root: Path) -> dict[str, Any]:
    """Run `script` with sentry-sdk set to keep (not send) the event of its crash."""
    out = script.parent / "event.json"
    subprocess.run(
        [sys.executable, "-c", _CAPTURE, str(script), str(root), str(out)],
        check=True,
        cwd=root,
        capture_output=True,
        timeout=60,
    )
    event: dict[str, Any] = json.loads(out.read_text())
    out.unlink()
    return event


def write_repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


@pytest.fixture
def orders_repo(tmp_path: Path) -> Path:
    """A tiny package whose `total` crashes with KeyError on an order without `qty`."""
    return write_repo(
        tmp_path / "repo",
        {
            "shop/__init__.py": "",
            "shop/orders.py": """
                def total(order, api_token):
                    return order["price"] * order["qty"]


                def checkout(orders, api_token):
                    return sum(total(order, api_token) for order in orders)
            """,
            "tests/test_orders.py": """
                from shop.orders import total


                def test_total_multiplies_price_by_quantity():
                    assert total({"price": 2, "qty": 3}, "t") == 6
            """,
            "trigger.py": """
                from shop.orders import checkout

                checkout([{"price": 2}], api_token="tok-123")
            """,
        },
    )
