"""Fixtures for the sandbox and function runtime tests: one probed sandbox per session."""

from __future__ import annotations

import os

import pytest

from functions.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    box = Sandbox(allow_degraded=True)
    if box.mode != "bubblewrap":
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("bubblewrap must be usable on CI: the escape tests cannot be skipped there")
        pytest.skip("bubblewrap is not usable on this machine")
    return box
