"""The `functions:` section of a repository's `.github/kintsugi.yml`, parsed with line numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.workspace import RepositoryPathRefused, is_repository_file, read_text

CONFIG_PATH = ".github/kintsugi.yml"
# A config is a page or two of YAML; a larger file is not one.
CONFIG_MAX_BYTES = 256 * 1024
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class FunctionSpec(BaseModel):
    """One function a repository declares: where its code is and when it runs."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str
    file: str
    handler: str = "handle"
    on: tuple[str, ...] = ()
    command: str | None = None
    http: bool = False
    timeout: float = Field(default=5.0, gt=0, le=300)
    memory_mb: int = Field(default=128, ge=64, le=4096)
    region: str = Field(default="default", pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")

    @field_validator("file")
    @classmethod
    def _inside_the_repository(cls, value: str) -> str:
        path = PurePosixPath(value)
        if path.is_absolute() or ".." in path.parts or path.suffix != ".py":
            raise ValueError("must be a relative path to a .py file inside the repository")
        return str(path)

    @field_validator("handler")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not value.isidentifier():
            raise ValueError("must be the name of a Python function")
        return value

    @field_validator("on", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value


@dataclass(frozen=True)
class ConfigProblem:
    """Why one function (or the whole section) could not be loaded, pointing at the line."""

    source: str
    message: str
    key: str = "functions"
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.key}: {self.message}"


@dataclass(frozen=True)
class RepoFunctions:
    """The functions that loaded, and a problem for each one that did not."""

    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    problems: list[ConfigProblem] = field(default_factory=list)


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans only: `on:` is a key here, not `True`."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_functions(text: str, source: str = CONFIG_PATH) -> RepoFunctions:
    """Parse the config text; a broken function never hides the others."""
    try:
        document = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        # The problem alone: the error's own text quotes the offending lines.
        problem = getattr(error, "problem", None) or "cannot be parsed"
        return RepoFunctions(
            problems=[ConfigProblem(source, f"invalid YAML: {problem}", line=line)]
        )
    if document is None:
        return RepoFunctions()
    if not isinstance(document, yaml.MappingNode):
        return RepoFunctions(problems=[_problem(source, document, "must be a mapping", "(root)")])
    section = _child(document, "functions")
    if section is None:
        return RepoFunctions()
    if not isinstance(section, yaml.MappingNode):
        return RepoFunctions(problems=[_problem(source, section, "must be a mapping of names")])
    loaded = RepoFunctions()
    for key_node, value_node in section.value:
        name = str(key_node.value)
        prefix = f"functions.{name}"
        if not _NAME.match(name):
            loaded.problems.append(_problem(source, key_node, "is not a valid name", prefix))
        elif not isinstance(value_node, yaml.MappingNode):
            loaded.problems.append(_problem(source, value_node, "must be a mapping", prefix))
        else:
            _load_one(source, name, value_node, loaded)
    return loaded


def _load_one(source: str, name: str, node: yaml.MappingNode, into: RepoFunctions) -> None:
    prefix = f"functions.{name}"
    values: dict[str, Any] = yaml.load(yaml.serialize(node), Loader=_Loader)
    try:
        into.functions[name] = FunctionSpec.model_validate({**values, "name": name})
    except ValidationError as error:
        for detail in error.errors():
            key = str(detail["loc"][0]) if detail["loc"] else None
            at = (_child(node, key) if key else None) or node
            label = f"{prefix}.{key}" if key else prefix
            message = detail["msg"] if detail["type"] != "missing" else "is required"
            if detail["type"] == "extra_forbidden":
                message = "is not a known key"
            into.problems.append(_problem(source, at, message, label))


def _child(node: yaml.MappingNode, key: str) -> yaml.Node | None:
    for key_node, value_node in node.value:
        if key_node.value == key:
            found: yaml.Node = value_node
            return found
    return None


def _problem(source: str, node: yaml.Node, message: str, key: str = "functions") -> ConfigProblem:
    return ConfigProblem(source, message, key=key, line=node.start_mark.line + 1)


def load_repo_functions(repo: Path) -> RepoFunctions:
    """The functions declared by the checkout at `repo`, each file checked to exist."""
    try:
        text = read_text(repo, CONFIG_PATH, max_bytes=CONFIG_MAX_BYTES)
    except FileNotFoundError:
        return RepoFunctions()
    except RepositoryPathRefused as refused:
        # The reason only: what the path leads to is never read, let alone quoted.
        return RepoFunctions(problems=[ConfigProblem(CONFIG_PATH, f"not read: {refused.reason}")])
    except UnicodeDecodeError:
        return RepoFunctions(problems=[ConfigProblem(CONFIG_PATH, "not read: not UTF-8 text")])
    parsed = parse_functions(text, CONFIG_PATH)
    for name, spec in list(parsed.functions.items()):
        if not is_repository_file(repo, spec.file):
            del parsed.functions[name]
            parsed.problems.append(
                ConfigProblem(
                    CONFIG_PATH,
                    f"{spec.file} is not a file in the repository",
                    f"functions.{name}.file",
                )
            )
    return parsed
