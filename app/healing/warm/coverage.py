"""Which tests executed which lines of the repository in the baseline: the tests a candidate's
change can affect are those that ran the functions it changes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

# Per-test lines of a large suite; far past what thousands of tests write.
COVERAGE_MAX_BYTES = 256 * 1024 * 1024


class UnreadableCoverage(ValueError):
    """The worker's coverage file is not the JSON it writes."""


@dataclass(frozen=True)
class CoverageMap:
    """For each test id, the repository-relative files it executed and the lines in each."""

    tests: dict[str, dict[str, frozenset[int]]]

    @classmethod
    def from_json(cls, data: bytes) -> CoverageMap:
        try:
            raw = json.loads(data)
            tests = {
                str(test): {
                    str(path): frozenset(int(n) for n in lines) for path, lines in files.items()
                }
                for test, files in raw["tests"].items()
            }
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise UnreadableCoverage(f"the baseline coverage is unreadable: {error}") from None
        return cls(tests)

    def covering(
        self, path: str, spans: Iterable[tuple[int, int]], among: Iterable[str]
    ) -> frozenset[str]:
        """Those tests of `among` that executed a line of `path` within one of `spans`, and
        those the baseline has no coverage for (nothing says they cannot be affected)."""
        ranges = [range(first, last + 1) for first, last in spans]
        chosen = set()
        for test in among:
            files = self.tests.get(test)
            if files is None:
                chosen.add(test)
                continue
            lines = files.get(path, frozenset())
            if any(line in span for span in ranges for line in lines):
                chosen.add(test)
        return frozenset(chosen)
