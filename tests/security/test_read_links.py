"""Attack 3: reads through a repository's links. A source named in a traceback, the sources an
LLM prompt quotes, `pyproject.toml`, `.github/kintsugi.yml` and a function's file: each read
resolves inside the repository or is refused, and the refused content is never echoed."""

from __future__ import annotations

import logging
import os
import textwrap
from pathlib import Path

import pytest

from app.errors import KintsugiError
from app.healing.incidents import incident_from_traceback
from app.healing.llm_context import repository_conventions
from app.healing.llm_tests import build_test_prompt
from app.healing.localise import RepositoryFiles, suspicious_locations
from functions.config import load_repo_functions
from functions.runtime import ServerlessRuntime
from tests.security.conftest import Host

TRACEBACK = textwrap.dedent(
    """\
    Traceback (most recent call last):
      File "/srv/app/shop/orders.py", line 4, in total
        return order["price"] * token()
      File "/srv/app/shop/settings.py", line 5, in token
        return TOKEN
    KeyError: 'qty'
    """
)


@pytest.fixture
def shop(tmp_path: Path, host: Host) -> Path:
    root = tmp_path / "shop-repo"
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "orders.py").write_text(
        "from shop.settings import token\n\n\ndef total(order):\n"
        '    return order["price"] * token()\n'
    )
    os.symlink(host.python, root / "shop" / "settings.py")
    return root


def test_a_source_linking_to_a_host_file_is_no_file_of_the_repository(
    shop: Path, host: Host
) -> None:
    files = RepositoryFiles(shop)

    assert files.paths == ["shop/__init__.py", "shop/orders.py"]
    assert files.resolve("/srv/app/shop/settings.py") is None
    locations = suspicious_locations(incident_from_traceback(TRACEBACK), files)
    assert [location.path for location in locations] == ["shop/orders.py"]
    with pytest.raises(KintsugiError) as refused:
        files.read("shop/settings.py")
    assert host.secret not in str(refused.value)


def test_no_prompt_quotes_a_host_file_a_repository_links_to(shop: Path, host: Host) -> None:
    os.symlink(host.root / "pyproject.toml", shop / "pyproject.toml")
    (host.root / "pyproject.toml").write_text(f'[project]\nrequires-python = "{host.secret}"\n')

    prompt = build_test_prompt("the total is wrong", RepositoryFiles(shop))

    assert "def total(order)" in prompt[-1]["content"]
    assert not host.leaked(prompt[-1]["content"])
    assert not host.leaked(repository_conventions(shop))


@pytest.mark.parametrize("content", ["valid", "invalid"])
def test_a_config_linking_to_a_host_file_is_refused_and_never_quoted(
    tmp_path: Path, host: Host, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret_yaml = (
        f"functions:\n  leak_{host.secret.replace('-', '_')}:\n    file: fn.py\n"
        if content == "valid"
        else f"key: [unclosed {host.secret}\n  other: {host.secret}: x\n"
    )
    (host.root / "kintsugi.yml").write_text(secret_yaml)
    repo = tmp_path / "configured"
    (repo / ".github").mkdir(parents=True)
    (repo / "fn.py").write_text("def handle(event, context):\n    return {}\n")
    os.symlink(host.root / "kintsugi.yml", repo / ".github" / "kintsugi.yml")

    with caplog.at_level(logging.DEBUG):
        loaded = ServerlessRuntime(keep_warm=0).load_repository(repo, "octo/evil")

    assert loaded.functions == {}
    [problem] = loaded.problems
    assert "leaves the repository" in str(problem)
    assert not host.leaked(str(problem)) and not host.leaked(caplog.text)


def test_a_yaml_error_names_the_line_but_does_not_quote_it(tmp_path: Path) -> None:
    repo = tmp_path / "broken"
    (repo / ".github").mkdir(parents=True)
    (repo / ".github" / "kintsugi.yml").write_text("functions:\n  a: [x\n  b: sk-live-123: y\n")

    [problem] = load_repo_functions(repo).problems

    assert "invalid YAML" in str(problem) and problem.line is not None
    assert "sk-live-123" not in str(problem)
