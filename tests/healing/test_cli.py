"""`kintsugi heal`: exit codes, the printed diff, --json and --apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from tests.healing.conftest import capture_sentry_event

pytestmark = pytest.mark.sandbox


def test_failing_tests_are_healed_and_the_diff_printed(
    orders_repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (orders_repo / "tests/test_missing.py").write_text(
        "from shop.orders import total\n\n\ndef test_no_qty_is_zero():\n"
        '    assert total({"price": 2}, "t") == 0\n'
    )

    code = main(["heal", str(orders_repo), "--budget", "60"])

    out = capsys.readouterr().out
    assert code == 0
    assert '+    return order["price"] * order.get("qty", 0)' in out
    assert "tests before: 1/2 passed; after: 2/2 passed" in out
    assert 'order["qty"]' in (orders_repo / "shop/orders.py").read_text()  # not applied


def test_sentry_event_with_apply_and_json_writes_the_fix(
    orders_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    event = tmp_path / "event.json"
    body = {
        "action": "triggered",
        "data": {"event": capture_sentry_event(orders_repo / "trigger.py", orders_repo)},
    }
    event.write_text(json.dumps(body))

    code = main(["heal", str(orders_repo), "--sentry-event", str(event), "--apply", "--json"])

    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["fixed"] and report["applied"] and report["reproduced"]
    assert 'order.get("qty", 0)' in (orders_repo / "shop/orders.py").read_text()
    [regression] = report["fix"]["new_tests"]
    assert (orders_repo / regression).exists()


def test_bad_input_exits_2_with_a_clear_message(
    orders_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = tmp_path / "log.txt"
    text.write_text("all good, nothing crashed\n")

    code = main(["heal", str(orders_repo), "--traceback", str(text)])

    assert code == 2
    assert "no Python traceback found" in capsys.readouterr().err


def test_passing_suite_has_nothing_to_heal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "test_ok.py").write_text("def test_ok():\n    assert True\n")

    assert main(["heal", str(tmp_path)]) == 2
    assert "the test suite passes" in capsys.readouterr().err


def test_a_case_without_a_fix_says_what_was_tried_and_why_it_failed() -> None:
    from app.cli.heal import why_not_fixed
    from app.healing.candidate_search import HealingResult

    nothing = HealingResult("c", "f", None, reproduced=True, candidates_tried=0, seconds=1.0)
    assert why_not_fixed(nothing) == "no strategy proposed a candidate for this incident"

    tried = HealingResult(
        "c",
        "f",
        None,
        reproduced=True,
        candidates_tried=3,
        seconds=9.0,
        rejections=[
            ("a", "tests still failing: tests/test_a.py::test_b\nmore"),
            ("b", "tests still failing: tests/test_a.py::test_b"),
            ("c", "edits a test file"),
        ],
    )
    assert why_not_fixed(tried) == (
        "3 candidate(s) refused or failed validation (3 validated); most common: "
        "tests still failing: tests/test_a.py::test_b (2x); edits a test file (1x)"
    )
