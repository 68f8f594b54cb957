"""What each packaging file contributes before the recipe is assembled: a step and the
distribution names it declares (so pytest and its plugins are added only when missing)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from app.environments.recipe import InstallStep, Source

TEST_NAMES = frozenset({"test", "tests", "testing"})
DEV_NAMES = frozenset({"dev", "develop", "development"})


@dataclass(frozen=True)
class Part:
    step: InstallStep
    names: frozenset[str] = frozenset()


def canonical(name: str) -> str:
    """PEP 503 normalised name: `Pytest_Cov` and `pytest-cov` are one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(text: str) -> str | None:
    try:
        return canonical(Requirement(text).name)
    except InvalidRequirement:
        return None


def names_of(requirements: Iterable[str]) -> frozenset[str]:
    return frozenset(name for text in requirements if (name := requirement_name(text)))


def testing_names(available: Iterable[str], *, with_dev: bool = False) -> list[str]:
    """The extras or groups a test run installs: test-named ones, and dev-named ones when there
    are none of those (or always, for groups an installer includes by default)."""
    names = list(available)
    tests = [name for name in names if canonical(name) in TEST_NAMES]
    dev = [name for name in names if canonical(name) in DEV_NAMES]
    return tests + dev if with_dev or not tests else tests


def requirements_step(requirements: Iterable[str], source: Source) -> Part | None:
    wanted = tuple(dict.fromkeys(text.strip() for text in requirements if text.strip()))
    if not wanted:
        return None
    return Part(InstallStep("requirements", wanted, source), names_of(wanted))
