"""Spectrum-based fault localisation and reading test runs, on real pytest runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.healing.localise import RepositoryFiles
from app.healing.runner import SandboxCommandRunner
from app.healing.spectrum import SpectrumLocaliser, ochiai
from app.healing.suite import incident_from_suite, run_suite
from tests.healing.conftest import KINTSUGI_TESTS, write_repo


@pytest.fixture
def pricing_repo(tmp_path: Path) -> Path:
    return write_repo(
        tmp_path,
        {
            "pricing.py": """
                def discount(total, member):
                    if member:
                        return total * 0.9
                    return total - 0


                def tax(total):
                    return total * 0.2
            """,
            "tests/test_pricing.py": """
                from pricing import discount, tax


                def test_members_get_ten_percent():
                    assert discount(100, True) == 90


                def test_guests_pay_full_price():
                    assert discount(100, False) == 100


                def test_tax_is_twenty_percent():
                    assert tax(10) == 2


                def test_guest_discount_is_nonzero():
                    assert discount(50, False) == 45
            """,
        },
    )


def test_ochiai_ranks_lines_only_failing_tests_cover_first(tmp_path: Path) -> None:
    write_repo(tmp_path, {"m.py": "a\nb\nc\n"})
    spectra = {
        "t1": {"lines": [["m.py", 1], ["m.py", 3]], "passed": False},
        "t2": {"lines": [["m.py", 1], ["m.py", 2]], "passed": True},
        "t3": {"lines": [["tests/test_m.py", 1]], "passed": False},
    }

    ranked = ochiai(spectra, RepositoryFiles(tmp_path), top=5)  # type: ignore[arg-type]

    assert [(loc.path, loc.line) for loc in ranked] == [("m.py", 3), ("m.py", 1)]
    assert ranked[0].score > ranked[1].score


@pytest.mark.sandbox
async def test_failing_run_is_read_and_the_faulty_line_ranked_first(pricing_repo: Path) -> None:
    runner = SandboxCommandRunner()

    report = await run_suite(runner, pricing_repo, "python -m pytest -q")
    incident = incident_from_suite(report)
    locations = await SpectrumLocaliser(runner)(
        incident, RepositoryFiles(pricing_repo), report, KINTSUGI_TESTS
    )

    assert report.counts() == {"passed": 3, "failed": 1, "total": 4}
    assert [t.node_id for t in incident.failing_tests] == [
        "tests/test_pricing.py::test_guest_discount_is_nonzero"
    ]
    assert incident.exception.short_type == "AssertionError"
    assert (locations[0].path, locations[0].line) == ("pricing.py", 4)
    assert not (pricing_repo / ".kintsugi-junit.xml").exists()
