"""A run without a readable report says why: its outcome, exit code and the tail of its output."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from app.healing.incidents.errors import UnreadableIncident
from app.healing.runner import CommandResult
from app.healing.suite import incident_from_suite, run_suite


class CollectionError:
    """A runner whose test command dies before pytest writes its report."""

    async def run(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        timeout_seconds: float,
        readonly: Sequence[Path] = (),
        env: Mapping[str, str] | None = None,
    ) -> CommandResult:
        return CommandResult(
            exit_code=4,
            stdout="",
            stderr="ModuleNotFoundError: No module named 'attrs'",
            wall_seconds=0.1,
            outcome="error",
        )


async def test_no_report_names_the_exit_code_and_the_error(tmp_path: Path) -> None:
    report = await run_suite(CollectionError(), tmp_path)
    assert not report.readable and report.exit_code == 4
    with pytest.raises(UnreadableIncident) as raised:
        incident_from_suite(report)
    assert "exit code 4" in str(raised.value)
    assert "No module named 'attrs'" in str(raised.value)
