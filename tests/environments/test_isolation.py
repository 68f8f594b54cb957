"""Build code is untrusted: it reaches the index and nothing else, and writes only its own build.

Each repository here has a `setup.py` that misbehaves while it builds, records what happened
into a module of the package it installs, and lets the install succeed.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import socket
from pathlib import Path

import pytest

from app.environments.cache import EnvironmentCache
from tests.environments.conftest import project, recipe, src_layout_repository, write_tree

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

_HOOK_PROJECT = {
    "pyproject.toml": """\
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"
        """,
    "src/hooked/__init__.py": "",
}

_EGRESS_HOOK = """\
import json, os, socket
from setuptools import setup

targets = json.load(open("targets.json"))
results = {}

def attempt(name, action):
    try:
        results[name] = "succeeded: " + str(action())
    except Exception as error:
        results[name] = "failed: " + repr(error)

def direct(host, port):
    socket.create_connection((host, port), timeout=3).close()
    return "connected"

def through_proxy(target):
    proxy = os.environ["HTTPS_PROXY"].rsplit(":", 1)
    with socket.create_connection((proxy[0].split("//")[1], int(proxy[1])), timeout=5) as s:
        # setuptools rewrites the text backslash-r-backslash-n in setup.py, so CRLF is spelt out.
        crlf = chr(13) + chr(10)
        s.sendall(f"CONNECT {target} HTTP/1.1{crlf}Host: {target}{crlf}{crlf}".encode())
        answer = s.recv(200).decode("latin-1")
    if not answer.startswith("HTTP/1.1 200"):
        raise ConnectionRefusedError(answer.splitlines()[0])
    return answer.splitlines()[0]

attempt("host loopback", lambda: direct("127.0.0.1", targets["port"]))
attempt("host loopback via proxy", lambda: through_proxy(f"127.0.0.1:{targets['port']}"))
attempt("redis via proxy", lambda: through_proxy("localhost:6379"))
attempt("other host via proxy", lambda: through_proxy("example.com:443"))
attempt("other host direct", lambda: direct("93.184.215.14", 443))
attempt("index via proxy", lambda: through_proxy("pypi.org:443"))
with open("src/hooked/probe.py", "w") as out:
    out.write("RESULTS = " + repr(results) + "\\n")
setup(name="hooked", version="1.0", packages=["hooked"], package_dir={"": "src"})
"""

_PLANTING_HOOK = """\
import json, os
from setuptools import setup

results = {}
for target in json.load(open("targets.json")):
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w") as out:
            out.write("planted")
        results[target] = "written"
    except OSError as error:
        results[target] = "failed: " + repr(error)
with open("src/hooked/probe.py", "w") as out:
    out.write("RESULTS = " + repr(results) + "\\n")
setup(name="hooked", version="1.0", packages=["hooked"], package_dir={"": "src"})
"""


def _probe_results(env_root: Path) -> dict[str, str]:
    (probe,) = env_root.glob("lib/python*/site-packages/hooked/probe.py")
    results: dict[str, str] = ast.literal_eval(probe.read_text().removeprefix("RESULTS = "))
    return results


def _exists(path: str) -> bool:
    return os.path.exists(path)


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for directory, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            path = Path(directory, name)
            digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()


async def test_a_build_hook_reaches_the_index_but_no_other_host(
    tmp_path: Path, cache: EnvironmentCache
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    repo = write_tree(tmp_path / "repo", {**_HOOK_PROJECT, "setup.py": _EGRESS_HOOK})
    (repo / "targets.json").write_text(json.dumps({"port": port}))
    try:
        async with cache.provide(recipe(project()), repo) as environment:
            results = _probe_results(environment.root)
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing of the build ever reached the host's listener
    finally:
        listener.close()
    assert results.pop("index via proxy") == "succeeded: HTTP/1.1 200 Connection established"
    assert len(results) == 5
    for name, outcome in results.items():
        assert outcome.startswith("failed: "), f"{name}: {outcome}"
    assert "403" in results["host loopback via proxy"]
    assert "403" in results["other host via proxy"]


async def test_a_build_hook_cannot_change_another_environment_or_the_cache(
    tmp_path: Path, cache: EnvironmentCache
) -> None:
    victim = src_layout_repository(tmp_path / "victim")
    async with cache.provide(recipe(project()), victim) as other:
        before = _tree_digest(other.root)
        (site_packages,) = other.root.glob("lib/python*/site-packages")
    targets = [
        str(site_packages / "six.py"),
        str(site_packages / "planted.pth"),
        str(cache.root / "envs" / "planted"),
        str(Path.home() / ".cache" / "uv" / "planted"),
        str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pip" / "planted"),
    ]
    repo = write_tree(tmp_path / "attacker", {**_HOOK_PROJECT, "setup.py": _PLANTING_HOOK})
    (repo / "targets.json").write_text(json.dumps(targets))
    async with cache.provide(recipe(project()), repo) as environment:
        results = _probe_results(environment.root)
    assert set(results) == set(targets)  # the hook ran and tried every one
    # What the hook may have written landed in the sandbox's own throwaway root, never here.
    planted = [target for target in targets[1:] if _exists(target)]
    assert planted == [], results
    assert _tree_digest(other.root) == before
    assert list((cache.root / "building").iterdir()) == []  # the build's own uv cache is gone
