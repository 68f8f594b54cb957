"""`kintsugi heal PATH` with no flags: the repository's environment is found, built (or
reused) and every run of the case uses it; when it cannot be, the output says why."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from app.cli import main
from tests.e2e.test_environments import DEPENDENCY, FREE_ORDER_TEST, PRICING_FILES
from tests.environments.conftest import write_tree

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


@pytest.fixture(autouse=True)
def sandboxed(sandbox: object) -> None:
    """Builds need bubblewrap: skipped without it locally, a failure on CI (the fixture)."""


def pricing_repo(root: Path, **changed: str) -> Path:
    files = {**PRICING_FILES, "tests/test_free.py": FREE_ORDER_TEST}
    files.pop(".github/kintsugi.yml")
    return write_tree(root, {**files, **changed})


def test_heal_with_no_flags_fixes_a_repository_with_a_dependency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], environment_cache_dir: Path
) -> None:
    assert importlib.util.find_spec("inflection") is None  # only the repository's env has it
    repo = pricing_repo(tmp_path / "repo")

    code = main(["heal", str(repo), "--budget", "120"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert '+    return order["price"] * order.get("qty", 0)' in out
    assert "tests before: 2/3 passed; after: 3/3 passed" in out
    assert re.search(r"^environment [0-9a-f]{32} (built|reused) in .*interpreter ", out, re.M)
    assert str(environment_cache_dir) in out  # the interpreter is the environment's


def test_a_dependency_that_cannot_be_resolved_exits_2_with_the_builds_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = "kintsugi-cli-no-such-package==1.0"
    repo = pricing_repo(tmp_path / "repo", **{"requirements.txt": f"{missing}\n"})

    code = main(["heal", str(repo), "--json"])

    result = json.loads(capsys.readouterr().out)
    assert code == 2 and result["fixed"] is False and result["environment"] is None
    blocked = result["blocked"]
    assert blocked["reason"].startswith("the repository's environment is unavailable: ")
    assert "environment build failed" in blocked["reason"]
    assert "kintsugi-cli-no-such-package" in blocked["output"]


def test_a_dependency_the_repository_does_not_declare_is_named_instead_of_healed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = pricing_repo(tmp_path / "repo")
    (repo / "requirements.txt").unlink()  # the code still imports it

    code = main(["heal", str(repo)])

    out = capsys.readouterr().out
    assert code == 2
    assert "could not heal: the tests could not import inflection on the unchanged code" in out
    assert "ModuleNotFoundError: No module named 'inflection'" in out  # the run's own output
    assert "no validated fix found" not in out


def test_an_explicit_test_command_with_variables_replaces_the_one_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A `src/` layout that is not installable (no project metadata): only PYTHONPATH finds it.
    repo = tmp_path / "repo"
    write_tree(
        repo,
        {
            "requirements.txt": f"{DEPENDENCY}\n",
            "src/pricing/__init__.py": "",
            "src/pricing/orders.py": PRICING_FILES["pricing/orders.py"],
            "tests/test_orders.py": PRICING_FILES["tests/test_orders.py"],
            "tests/test_free.py": FREE_ORDER_TEST,
        },
    )

    assert main(["heal", str(repo)]) == 2  # found on its own, the package does not import
    assert "could not heal" in capsys.readouterr().out

    code = main(["heal", str(repo), "--test-command", "env PYTHONPATH=src python -m pytest tests"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "tests before: 2/3 passed; after: 3/3 passed" in out
