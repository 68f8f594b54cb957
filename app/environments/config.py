"""The `environment:` section of `.github/kintsugi.yml`: what a repository says about its own
environment, overriding what detection would find."""

from __future__ import annotations

import re
import shlex

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)


class EnvironmentConfig(BaseModel):
    """`python` (a version or specifier), `install` (commands replacing every detected install
    step and lock pin), `test_command` (may start with `VAR=value` assignments)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    python: str | None = Field(default=None, min_length=1)
    install: tuple[str, ...] | None = None
    test_command: str | None = Field(default=None, min_length=1)

    @field_validator("python", mode="before")
    @classmethod
    def _version_as_text(cls, value: object) -> object:
        # `python: 3.10` in YAML is the float 3.1; refuse it rather than guess.
        if isinstance(value, float):
            raise ValueError(
                f'write the version in quotes (`python: "3.10"`): unquoted, YAML reads it as '
                f"the number {value}"
            )
        return value

    @field_validator("install", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("install")
    @classmethod
    def _commands(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for command in value or ():
            if not _argv(command):
                raise ValueError("every install command must be a non-empty command line")
        return value

    @field_validator("test_command")
    @classmethod
    def _test_command(cls, value: str | None) -> str | None:
        if value is not None and not split_test_command(value)[1]:
            raise ValueError("must name a command after its VAR=value assignments")
        return value

    def install_argvs(self) -> tuple[tuple[str, ...], ...]:
        return tuple(_argv(command) for command in self.install or ())


def split_test_command(text: str) -> tuple[dict[str, str], str]:
    """Leading `VAR=value` words (after an optional `env`) become the environment; the rest is
    the command."""
    words = _argv(text)
    if words[:1] == ("env",):
        words = words[1:]
    env: dict[str, str] = {}
    while words and (match := _ASSIGNMENT.match(words[0])):
        env[match.group(1)] = match.group(2)
        words = words[1:]
    return env, shlex.join(words)


def _argv(command: str) -> tuple[str, ...]:
    try:
        return tuple(shlex.split(command))
    except ValueError as error:
        raise ValueError(f"cannot read the command {command!r}: {error}") from error
