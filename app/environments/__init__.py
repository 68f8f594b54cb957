"""A repository's own environment: detected from its files, built with uv, cached by content."""

from app.environments.recipe import (
    EnvironmentUnavailable,
    InstallStep,
    PythonChoice,
    Recipe,
    Source,
)

__all__ = ["EnvironmentUnavailable", "InstallStep", "PythonChoice", "Recipe", "Source"]
