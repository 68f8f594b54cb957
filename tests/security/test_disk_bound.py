"""A repository's tests or functions writing many files just under the per-file limit are
stopped at the whole run's bound, reported as `disk`, and the host's disk gets no more."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from app.healing.runner import SandboxCommandRunner
from app.healing.suite import run_suite
from functions import Sandbox, ServerlessRuntime
from functions.sandbox import SandboxLimits

pytestmark = pytest.mark.sandbox

MB = 1024 * 1024

# Files one byte under the per-file limit, as many as will go, ignoring every refusal.
FILLER = """\
import itertools, os
for n in itertools.count():
    try:
        with open(os.path.join({where!r}, f"fill{{n}}"), "wb") as out:
            out.write(b"x" * ({file_mb} * 1024 * 1024 - 1))
    except OSError:
        pass
"""


def tree_bytes(root: Path) -> int:
    return sum(path.lstat().st_size for path in root.rglob("*"))


async def test_a_filler_is_stopped_at_the_work_directory_bound(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    limits = SandboxLimits(cpu_seconds=30, wall_seconds=30, max_file_mb=8, disk_mb=24)
    code = FILLER.format(where=".", file_mb=8)
    result = await sandbox.run([sys.executable, "-c", code], workdir=work, limits=limits)
    assert result.outcome == "disk"
    assert "24 MB work directory" in result.stderr
    # Stopped when the bound was reached, not at the wall clock.
    assert result.wall_seconds < 15
    assert tree_bytes(work) <= 24 * MB


async def test_a_filler_in_tmp_is_stopped_at_its_bound(sandbox: Sandbox, tmp_path: Path) -> None:
    limits = SandboxLimits(cpu_seconds=30, wall_seconds=30, max_file_mb=8, tmp_mb=16)
    code = FILLER.format(where="/tmp", file_mb=8)
    result = await sandbox.run([sys.executable, "-c", code], workdir=tmp_path, limits=limits)
    assert result.outcome == "disk"
    assert result.wall_seconds < 15
    assert tree_bytes(tmp_path) == 0


async def test_a_test_suite_that_fills_the_disk_is_reported_as_disk(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    (repo / "tests").mkdir(parents=True)
    filler = FILLER.format(where=".", file_mb=8).replace("\n", "\n    ")
    (repo / "tests" / "test_fill.py").write_text(f"def test_fill():\n    {filler}\n")
    runner = SandboxCommandRunner(sandbox, disk_mb=32)
    report = await run_suite(runner, repo, timeout_seconds=60, hangs=None)
    assert report.outcome == "disk"
    assert not report.readable
    assert "32 MB work directory" in report.output_tail
    # The repository's own files came back untouched; none of what the run wrote did.
    assert sorted(os.listdir(repo)) == ["tests"]
    assert tree_bytes(repo) < MB


CONFIG = """\
functions:
  fill:
    file: .github/functions/fill.py
    timeout: 20
"""

FILL_FUNCTION = """\
import os

def handle(event, context):
    written, refused, reason = 0, 0, ""
    for n in range(64):
        try:
            with open(f"fill{n}", "wb") as out:
                written += out.write(b"x" * (16 * 1024 * 1024 - 1))
        except OSError as error:
            refused += 1
            reason = error.strerror
    return {"written": written, "refused": refused, "cwd": os.getcwd(), "reason": reason}
"""


async def test_a_function_cannot_fill_the_host_disk(sandbox: Sandbox, tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / ".github" / "functions").mkdir(parents=True)
    (checkout / ".github" / "kintsugi.yml").write_text(CONFIG)
    (checkout / ".github" / "functions" / "fill.py").write_text(FILL_FUNCTION)
    runtime = ServerlessRuntime(sandbox=sandbox, keep_warm=1)
    try:
        runtime.load_repository(checkout, "octo/filler")
        response = await runtime.invoke("fill", {}, repository="octo/filler")
        assert response.status_code == 200, response.error
        body = response.body
        assert body["written"] <= 64 * MB
        assert body["refused"] > 0
        assert body["reason"] == "No space left on device"
        # The worker's folder on the host stays empty while the worker lives.
        assert os.listdir(body["cwd"]) == []
    finally:
        await runtime.close()


async def test_many_empty_files_are_not_copied_onto_the_host(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    # Empty files cost the tmpfs nothing but would cost the host an inode each.
    (tmp_path / "kept.txt").write_text("kept")
    limits = SandboxLimits(cpu_seconds=30, wall_seconds=30, max_entries=500)
    code = "import os\nos.mkdir('many')\nfor n in range(2000):\n    open(f'many/{n}', 'w').close()"
    result = await sandbox.run([sys.executable, "-c", code], workdir=tmp_path, limits=limits)
    assert result.outcome == "disk"
    assert "too many files and folders: nothing was copied back" in result.stderr
    assert os.listdir(tmp_path) == ["kept.txt"]
