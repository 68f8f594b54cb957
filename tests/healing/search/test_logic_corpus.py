"""The logic-bug corpus: each case fails as shipped and some mutant at the bug line repairs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.healing.search import ALL_OPERATORS, Mutant, mutants

CORPUS = Path(__file__).resolve().parents[3] / "bench" / "corpus" / "logic"
CASES = sorted(path.name for path in CORPUS.iterdir() if (path / "case.json").is_file())
# A case whose shipped code loops forever is left to the healer's end-to-end tests: here every
# mutant that does not repair it would cost the whole suite timeout.
SETTLING = [
    name for name in CASES if not json.loads((CORPUS / name / "case.json").read_text()).get("hangs")
]
SUITE_TIMEOUT = 30


@dataclass(frozen=True)
class Repair:
    rank: int
    mutant: Mutant


def suite_passes(root: Path) -> bool:
    """Run the case's own test suite (our corpus files, so no sandbox needed)."""
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        timeout=SUITE_TIMEOUT,
        # The cases need no pytest plugins; not loading the venv's halves each run's start-up.
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        },
    )
    return completed.returncode == 0


def first_repair(case: Path, scratch: Path) -> tuple[bool, Repair | None]:
    """Whether the shipped case fails, and the first mutant at its bug line that passes."""
    spec = json.loads((case / "case.json").read_text())
    repo = scratch / case.name
    shutil.copytree(case, repo, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    target = repo / spec["bug"]["path"]
    original = target.read_text()
    if suite_passes(repo):
        return False, None
    for rank, mutant in enumerate(
        mutants(original, spec["bug"]["line"], operators=ALL_OPERATORS), 1
    ):
        target.write_text(mutant.source)
        if suite_passes(repo):
            return True, Repair(rank, mutant)
    return True, None


def test_corpus_is_large_and_varied() -> None:
    specs = [json.loads((CORPUS / name / "case.json").read_text()) for name in CASES]
    assert len(specs) >= 20
    assert all(spec["kind"] == "logic" and spec["traceback"] is None for spec in specs)
    assert len({spec["fixed_by"] for spec in specs}) >= 10


@pytest.mark.slow  # one pytest subprocess per mutant tried: about 30 s for the whole corpus
@pytest.mark.parametrize("name", SETTLING)
def test_case_fails_and_a_single_mutant_repairs_it(name: str, tmp_path: Path) -> None:
    fails, repair = first_repair(CORPUS / name, tmp_path)
    assert fails, f"{name}: the shipped suite should fail"
    assert repair is not None, f"{name}: no mutant at the bug line passes the suite"
