"""Kintsugi installed as the Dockerfile installs it — the runtime set only, no pytest — heals a
repository with a dependency: its tests run on the repository's environment, never Kintsugi's.

The Dockerfile is read, not restated: the files it copies and the uv it pins. The one change is
uv's download cache, kept (the image sets UV_NO_CACHE) so a run after the first installs from
it instead of the index."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.environments.test_heal_in_environment import pricing_repo

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def dockerfile_copies() -> list[tuple[list[str], str]]:
    """The `COPY src... dest` lines of the Dockerfile, in order."""
    copies = []
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("COPY "):
            *sources, dest = shlex.split(line)[1:]
            copies.append((sources, dest))
    return copies


def dockerfile_value(pattern: str) -> str:
    found = re.search(pattern, DOCKERFILE.read_text(encoding="utf-8"), re.MULTILINE)
    assert found, f"the Dockerfile no longer matches {pattern!r}"
    return found.group(1)


def install_as_the_dockerfile_does(workdir: Path, venv: Path) -> None:
    for sources, dest in dockerfile_copies():
        for source in sources:
            path = ROOT / source
            into = workdir / dest / path.name if dest.endswith("/") else workdir / dest
            if path.is_dir():
                shutil.copytree(path, into, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, into)
    assert "uv sync --frozen --no-dev" in DOCKERFILE.read_text(encoding="utf-8")
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    assert uv is not None
    wanted = dockerfile_value(r"^ARG UV_VERSION=(\S+)$")
    version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.split()[1] == wanted, "the uv here is not the one the image pins"
    base = dockerfile_value(r"^FROM python:(\d+\.\d+)")
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == base
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("UV_", "VIRTUAL"))
    }
    env.update(
        UV_LINK_MODE="copy",
        UV_PYTHON_DOWNLOADS="never",
        UV_PROJECT_ENVIRONMENT=str(venv),
    )
    subprocess.run(
        [uv, "sync", "--frozen", "--no-dev", "--python", sys.executable],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
        timeout=900,
    )


def test_the_runtime_install_heals_a_repository_with_a_dependency(
    tmp_path: Path, sandbox: object, environment_cache_dir: Path
) -> None:
    image, venv = tmp_path / "srv", tmp_path / "srv" / ".venv"
    image.mkdir()
    install_as_the_dockerfile_does(image, venv)
    python = venv / "bin" / "python"
    for module in ("pytest", "inflection"):
        probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True)
        assert probe.returncode != 0, f"{module} is in the runtime set: it must not be"
    repo = pricing_repo(tmp_path / "repo")
    env = {
        "PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "DATA_DIR": str(tmp_path / "data"),
        "ENVIRONMENT_CACHE_DIR": str(environment_cache_dir),
        "SANDBOX_ALLOW_DEGRADED": "false",
    }

    healed = subprocess.run(
        [venv / "bin" / "kintsugi", "heal", str(repo), "--budget", "120", "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert healed.returncode == 0, healed.stdout + healed.stderr
    result = json.loads(healed.stdout)
    assert result["fixed"] is True
    assert '+    return order["price"] * order.get("qty", 0)' in result["fix"]["diff"]
    assert result["fix"]["evidence"]["after"] == {"passed": 3, "failed": 0, "total": 3}
    # The interpreter (and the pytest) those runs used: the repository's environment's.
    shown = subprocess.run(
        [venv / "bin" / "kintsugi", "env", str(repo), "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    environment = json.loads(shown.stdout)["environment"]
    assert environment["built"] is False  # the one heal built, reused
    interpreter = Path(environment["interpreter"])
    assert interpreter.is_relative_to(environment_cache_dir)
    assert subprocess.run([interpreter, "-c", "import pytest, inflection"]).returncode == 0
