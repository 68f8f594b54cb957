"""Fixtures for the sandbox and function runtime tests: one probed sandbox per session."""

from __future__ import annotations

import os

import pytest

from functions.sandbox import Sandbox, SandboxUnavailable


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    try:
        return Sandbox()
    except SandboxUnavailable as unavailable:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(
                f"bubblewrap must be usable on CI: the escape tests cannot be skipped there "
                f"({unavailable})"
            )
        pytest.skip(f"bubblewrap is not usable on this machine: {unavailable}")
