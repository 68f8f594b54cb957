"""The whole GitHub flow against a malicious repository: signed webhooks → the real app
(SQLite, in-process queue, sandbox) → the fake GitHub and a real git remote. The repository
links to the worker's environment and to host files, prints what it can read into its test
names, names a linked host file in its traceback and links its config to a host file; none of
that, and none of the worker's secrets, may reach a pull request, comment, check run, issue,
event or LLM prompt."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import respx

from app.main import create_app
from app.services import Services, open_services
from tests.api.conftest import Hooks, make_settings
from tests.e2e.test_automatic_sources import check_run_failed, settled
from tests.e2e.test_heal_command import comment_payload, handled
from tests.github.conftest import APP_ID, INSTALLATION_ID, SHOP_FILES
from tests.github.fake_github import FakeGitHub, FakeRepository
from tests.security.conftest import Host, environ_prefix

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

LLM_BASE = "http://llm.test/v1"
LLM_KEY = f"sk-llm-key-{secrets.token_hex(12)}"

# Fails once per file, with what it could read of it (the first bytes, in hex) in its name (as
# the dashboard and pull requests list failing tests) and in its message.
LEAKING_TEST = textwrap.dedent(
    """\
    import pathlib

    import pytest

    ROOT = pathlib.Path(__file__).resolve().parent.parent


    def _read(name):
        try:
            return (ROOT / name).read_bytes()[:160].hex()
        except OSError:
            return "unreadable-" + name.replace("/", "-")


    @pytest.mark.parametrize("seen", [_read(n) for n in ("env.txt", "dotenv", "shop/settings.py")])
    def test_what_the_sandbox_sees(seen):
        assert not seen, seen
    """
)
TRACEBACK = textwrap.dedent(
    """\
    Traceback (most recent call last):
      File "/srv/app/shop/orders.py", line 2, in total
        return order["price"] * order["qty"]
      File "/srv/app/shop/settings.py", line 5, in token
        return TOKEN
    KeyError: 'qty'
    """
)


def linked_repository(root: Path, name: str, files: dict[str, str], links: dict[str, str]) -> Path:
    """A bare repository whose one commit holds `files` and the symbolic links `links`."""
    work = root / f"{name}-seed"
    for path, text in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text)
    for path, target in links.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, work / path)
    git = ["git", "-c", "user.name=Seed", "-c", "user.email=seed@example.test"]
    subprocess.run([*git, "init", "-q", "-b", "main", str(work)], check=True)
    subprocess.run([*git, "-C", str(work), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(work), "commit", "-q", "-m", "initial"], check=True)
    bare = root / "remotes" / f"{name}.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    subprocess.run(
        ["git", "--git-dir", str(bare), "config", "http.receivepack", "true"], check=True
    )
    return bare


@pytest.fixture
def evil(fake_github: FakeGitHub, host: Host, tmp_path: Path) -> FakeRepository:
    files = {
        **SHOP_FILES,
        "tests/test_leak.py": LEAKING_TEST,
        ".github/kintsugi.yml": "sources:\n  ci: true\n",
    }
    links = {
        "env.txt": "/proc/self/environ",
        "dotenv": str(host.secret_file),
        "shop/settings.py": str(host.python),
    }
    bare = linked_repository(tmp_path / "evil", "evil", files, links)
    return fake_github.add_repository(
        FakeRepository("octo", "evil", bare, INSTALLATION_ID, permissions={"maintainer": "write"})
    )


@pytest.fixture
def evil_config(fake_github: FakeGitHub, host: Host, tmp_path: Path) -> FakeRepository:
    (host.root / "kintsugi.yml").write_text(
        f"functions:\n  {host.secret}:\n    file: fn.py\n    command: report\n"
    )
    files = {"fn.py": "def handle(event, context):\n    return {}\n"}
    links = {".github/kintsugi.yml": str(host.root / "kintsugi.yml")}
    bare = linked_repository(tmp_path / "cfg", "evil-config", files, links)
    return fake_github.add_repository(
        FakeRepository(
            "octo", "evil-config", bare, INSTALLATION_ID, permissions={"maintainer": "write"}
        )
    )


class RecordingLLM:
    """An OpenAI-compatible endpoint that keeps every request and answers with no edit."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.content.decode())
        messages = json.loads(request.content)["messages"]
        if "You write regression tests" in messages[0]["content"]:
            answer = {
                "path": "tests/test_quantity.py",
                "content": "from shop.orders import total\n\n\ndef test_q():\n"
                "    assert total({'price': 2}) == 0\n",
                "explanation": "A missing quantity counts as none.",
            }
        else:
            answer = {"file": "shop/orders.py", "edits": []}
        return httpx.Response(
            200,
            json={
                "id": "chatcmpl-x",
                "object": "chat.completion",
                "created": 1_716_000_000,
                "model": "test-model",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": json.dumps(answer)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            },
        )


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingLLM]:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    monkeypatch.setattr(litellm, "disable_aiohttp_transport", True)
    recording = RecordingLLM()
    with respx.mock(assert_all_called=False) as router:
        router.post(f"{LLM_BASE}/chat/completions").mock(side_effect=recording)
        router.route().pass_through()  # the fake GitHub on loopback
        yield recording


@pytest.fixture
async def hooks(
    fake_github: FakeGitHub, app_key: tuple[str, str], tmp_path: Path, llm: RecordingLLM
) -> AsyncIterator[Hooks]:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'kintsugi.db'}",
        github_app_id=APP_ID,
        github_app_private_key=app_key[0],
        github_api_url=fake_github.url,
        healing_budget_seconds=120,
        llm_model="openai/test-model",
        llm_api_base=LLM_BASE,
        llm_api_key=LLM_KEY,
        llm_max_retries=0,
    )
    services: Services = await open_services(settings)
    app = create_app(settings, services=services)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://k.test") as client:
            yield Hooks(client, services)
    finally:
        await services.close()


async def everything_published(
    hooks: Hooks, fake: FakeGitHub, llm: RecordingLLM, *repos: FakeRepository
) -> dict[str, str]:
    """Each place a repository's content could surface, as text."""
    places = {
        f"github {call.method} {call.path}": json.dumps(call.body)
        for call in fake.requests
        if call.body is not None
    }
    for index, event in enumerate(await hooks.services.store.read_all(limit=100_000)):
        places[f"event {index} {event.type}"] = json.dumps(event.payload)
    for index, prompt in enumerate(llm.requests):
        places[f"llm prompt {index}"] = prompt
    for repo in repos:
        places[f"pushed to {repo.full_name}"] = repo.git("log", "--all", "-p")
    return places


def leaks(places: dict[str, str], host: Host, app_key: tuple[str, str]) -> list[str]:
    environ = environ_prefix()
    # A line of the App's private key: enough to show the key itself got out.
    key_line = app_key[0].splitlines()[3]
    found = []
    for place, text in places.items():
        if host.leaked(text):
            found.append(f"{place}: the host file")
        if environ.hex() in text or environ.decode("utf-8", "replace") in text:
            found.append(f"{place}: the worker's environment")
        if LLM_KEY in text or LLM_KEY.encode().hex() in text:
            found.append(f"{place}: LLM_API_KEY")
        if key_line in text:
            found.append(f"{place}: the App private key")
    return found


async def test_heal_and_fix_on_a_malicious_repository_publish_nothing_of_the_host(
    hooks: Hooks,
    fake_github: FakeGitHub,
    evil: FakeRepository,
    host: Host,
    llm: RecordingLLM,
    app_key: tuple[str, str],
) -> None:
    heal = f"/heal\n\n```\n{TRACEBACK}```\n"
    await hooks.github("issue_comment", comment_payload(fake_github, evil, "maintainer", heal))
    await handled(hooks.services)
    fix = "/fix the total fails without a quantity"
    payload = comment_payload(fake_github, evil, "maintainer", fix, comment_id=502)
    await hooks.github("issue_comment", payload)
    await handled(hooks.services, count=2)

    # The flow ran for real: fix pull requests, the prompts sent, with the repository's code.
    assert evil.pulls and any('order.get("qty"' in pull["body"] for pull in evil.pulls)
    assert any("def total(order)" in prompt for prompt in llm.requests)
    places = await everything_published(hooks, fake_github, llm, evil)
    assert leaks(places, host, app_key) == []


async def test_a_failed_ci_run_of_a_malicious_repository_publishes_nothing_of_the_host(
    hooks: Hooks,
    fake_github: FakeGitHub,
    evil: FakeRepository,
    host: Host,
    llm: RecordingLLM,
    app_key: tuple[str, str],
) -> None:
    sha = evil.commit("feature", {"shop/orders.py": SHOP_FILES["shop/orders.py"] + "\n"}, "touch")
    await hooks.github("check_run", check_run_failed(fake_github, evil, sha, "feature", 1, "test"))
    await settled(hooks.services, ["healing.trigger_handled"])

    # The leaking test ran and failed, and its (now harmless) names were published.
    places = await everything_published(hooks, fake_github, llm, evil)
    assert leaks(places, host, app_key) == []
    assert any("unreadable-dotenv" in text for text in places.values()), places


async def test_a_config_linking_to_a_host_file_declares_nothing(
    hooks: Hooks,
    fake_github: FakeGitHub,
    evil_config: FakeRepository,
    host: Host,
    llm: RecordingLLM,
    app_key: tuple[str, str],
) -> None:
    body = "/run report"
    await hooks.github(
        "issue_comment", comment_payload(fake_github, evil_config, "maintainer", body)
    )
    await handled(hooks.services)

    replies = [comment["body"] for comment in evil_config.comments]
    assert any("declares no function `report`" in reply for reply in replies), replies
    places = await everything_published(hooks, fake_github, llm, evil_config)
    assert leaks(places, host, app_key) == []
