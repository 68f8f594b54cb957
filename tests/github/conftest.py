"""A fake GitHub on a loopback port with one App installation and one real git remote."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.github.auth import AppCredentials
from app.github.client import GitHubApp
from tests.github.fake_github import (
    FakeGitHub,
    FakeRepository,
    bare_repository,
    generate_private_key,
    serve,
)

APP_ID = 4242
INSTALLATION_ID = 77

# A small project with a crash: `total` raises KeyError on an order without "qty".
SHOP_FILES = {
    "shop/__init__.py": "",
    "shop/orders.py": textwrap.dedent(
        """\
        def total(order):
            return order["price"] * order["qty"]
        """
    ),
    "tests/test_orders.py": textwrap.dedent(
        """\
        from shop.orders import total


        def test_total_multiplies_price_by_quantity():
            assert total({"price": 2, "qty": 3}) == 6
        """
    ),
}

SHOP_TRACEBACK = textwrap.dedent(
    """\
    Traceback (most recent call last):
      File "/srv/app/shop/orders.py", line 2, in total
        return order["price"] * order["qty"]
    KeyError: 'qty'
    """
)


@pytest.fixture(scope="session")
def app_key() -> tuple[str, str]:
    return generate_private_key()


@pytest.fixture
def fake_github(app_key: tuple[str, str]) -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(APP_ID, app_key[1])) as fake:
        yield fake


@pytest.fixture
def shop(fake_github: FakeGitHub, tmp_path: Path) -> FakeRepository:
    bare = bare_repository(tmp_path, "shop", SHOP_FILES)
    return fake_github.add_repository(
        FakeRepository(
            "octo",
            "shop",
            bare,
            INSTALLATION_ID,
            permissions={"maintainer": "maintain", "visitor": "read", "owner": "admin"},
        )
    )


@pytest.fixture
def github_app(fake_github: FakeGitHub, app_key: tuple[str, str]) -> GitHubApp:
    return GitHubApp(
        AppCredentials(APP_ID, SecretStr(app_key[0])),
        api_url=fake_github.url,
        retry_base_seconds=0.01,
    )
