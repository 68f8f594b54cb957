"""Reproducing a crash as a new test from the crash frame's captured arguments."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.healing.incidents import ExceptionInfo, Frame, Incident, IncidentSource
from app.healing.localise import RepositoryFiles
from app.healing.reproduce import build_reproduction, literal_from_capture
from tests.healing.conftest import write_repo


def _incident(*frames: Frame) -> Incident:
    return Incident(IncidentSource.SENTRY, (ExceptionInfo("KeyError", "'qty'", frames),))


@pytest.mark.parametrize(
    ("captured", "value"),
    [
        ("'abc'", "abc"),
        ("3", 3),
        ({"price": "2", "name": "'pen'"}, {"price": 2, "name": "pen"}),
        (["1", "None"], [1, None]),
        ("[redacted]", "redacted"),
    ],
)
def test_sentry_reprs_become_python_literals(captured: object, value: object) -> None:
    assert literal_from_capture(captured) == value


def test_the_crash_frame_with_literal_arguments_becomes_a_test_of_its_own(
    orders_repo: Path,
) -> None:
    files = RepositoryFiles(orders_repo)
    crash = Frame(
        "/deploy/shop/orders.py",
        "total",
        2,
        vars={"order": {"price": "2"}, "api_token": "[redacted]"},
    )

    reproduction = build_reproduction(_incident(crash), files, "abcd1234")

    assert reproduction is not None
    assert reproduction.path == "tests/test_regression_abcd1234.py"
    assert reproduction.call == "total({'price': 2}, 'redacted')"
    assert "from shop.orders import total" in reproduction.source
    assert not (orders_repo / reproduction.path).exists()  # only validation copies get it


def test_callers_are_used_when_the_crash_frame_is_not_reproducible(tmp_path: Path) -> None:
    write_repo(
        tmp_path,
        {
            "src/app/__init__.py": "",
            "src/app/core.py": "def outer(n):\n    return Thing().run(n)\n",
        },
    )
    method = Frame("/x/src/app/core.py", "run", 9, vars={"self": "<Thing object at 0x1>"})
    caller = Frame("/x/src/app/core.py", "outer", 2, vars={"n": "4"})

    reproduction = build_reproduction(_incident(caller, method), RepositoryFiles(tmp_path), "t")

    assert reproduction is not None and reproduction.call == "outer(4)"
    assert reproduction.path == "test_regression_t.py"  # no tests/ folder: at the root
    assert "parents[0] / 'src'" in reproduction.source


def test_objects_that_are_not_literals_give_no_reproduction(orders_repo: Path) -> None:
    crash = Frame("/d/shop/orders.py", "total", 2, vars={"order": "<Order 1>", "api_token": "'t'"})

    assert build_reproduction(_incident(crash), RepositoryFiles(orders_repo), "x") is None
