"""The seed's self-healing example, run as written against a real repository."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from app.healing import Fix, Incident, SelfHealingCode
from tests.healing.conftest import write_repo

pytestmark = pytest.mark.sandbox


@pytest.fixture
def inventory_repo(tmp_path: Path) -> Path:
    root = write_repo(
        tmp_path / "inventory",
        {
            "src/my_module.py": """
                def average_price(prices):
                    return sum(prices) / len(prices)


                def some_function():
                    return average_price([])
            """,
            "tests/test_my_module.py": """
                import sys
                from pathlib import Path

                sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

                from my_module import average_price


                def test_average_of_two_prices():
                    assert average_price([2, 4]) == 3
            """,
        },
    )
    sys.path.insert(0, str(root / "src"))
    yield root
    sys.path.remove(str(root / "src"))
    sys.modules.pop("my_module", None)


async def test_seed_example_heals_the_error_and_reports_stats(inventory_repo: Path) -> None:
    some_function = importlib.import_module("my_module").some_function
    llm_provider = None  # no LLM configured: the offline strategies must do
    healing_code = SelfHealingCode(llm_provider)

    fix = None
    try:
        result = some_function()
    except Exception as e:
        fix = await healing_code.handle_error(
            e,
            context={
                "file_path": "src/my_module.py",
                "line_number": 2,
                "code_snippet": "return sum(prices) / len(prices)",
                "repo_path": str(inventory_repo),
            },
        )
    stats = healing_code.get_healing_stats()

    assert isinstance(fix, Fix)
    assert fix.id.startswith("fix-") and 0.75 <= fix.confidence <= 1.0
    assert fix.evidence.reproduced
    assert "if len(prices) else 0" in (inventory_repo / "src/my_module.py").read_text()
    assert stats["success_rate"] == 100.0
    assert stats["applied_fixes"] == 1
    assert stats["by_strategy"] == {"template": 1}
    assert "result" not in locals()


async def test_error_outside_the_repository_gives_none_and_counts(tmp_path: Path) -> None:
    healing_code = SelfHealingCode(None, apply=False)

    try:
        int("not a number")
    except ValueError as e:
        fix = await healing_code.handle_error(e, context={"repo_path": str(tmp_path)})

    assert fix is None
    assert healing_code.get_healing_stats()["rejected_inputs"] == 1
    assert Incident.__name__ == "Incident"
