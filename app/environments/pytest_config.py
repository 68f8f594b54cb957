"""The repository's pytest configuration and the plugins it implies: an `addopts` option or an
ini key that only a plugin understands makes every run fail without that plugin."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.environments.files import RepositoryFiles
from app.environments.pyproject import table
from app.environments.recipe import Source
from app.environments.setup_files import read_ini

# Option prefixes → the distribution providing them.
_OPTIONS = (
    ("--cov", "pytest-cov"),
    ("--no-cov", "pytest-cov"),
    ("--numprocesses", "pytest-xdist"),
    ("--maxprocesses", "pytest-xdist"),
    ("--dist", "pytest-xdist"),
    ("--timeout", "pytest-timeout"),
    ("--benchmark-", "pytest-benchmark"),
    ("--reruns", "pytest-rerunfailures"),
    ("--randomly-", "pytest-randomly"),
    ("--asyncio-mode", "pytest-asyncio"),
    ("--doctest-plus", "pytest-doctestplus"),
    ("--mpl", "pytest-mpl"),
    ("--html", "pytest-html"),
    ("--ds", "pytest-django"),
    ("--reuse-db", "pytest-django"),
    ("--mypy", "pytest-mypy"),
)
# `-p name` plugin modules → distributions.
_MODULES = {
    "xdist": "pytest-xdist",
    "pytest_cov": "pytest-cov",
    "timeout": "pytest-timeout",
    "pytest_timeout": "pytest-timeout",
    "randomly": "pytest-randomly",
    "pytest_randomly": "pytest-randomly",
    "asyncio": "pytest-asyncio",
    "pytest_asyncio": "pytest-asyncio",
    "pytest_mock": "pytest-mock",
    "anyio": "anyio",
    "rerunfailures": "pytest-rerunfailures",
    "pytest_benchmark": "pytest-benchmark",
}
# Ini keys that only a plugin registers (with --strict-config, an unknown key is an error).
_KEYS = {
    "asyncio_mode": "pytest-asyncio",
    "asyncio_default_fixture_loop_scope": "pytest-asyncio",
    "timeout": "pytest-timeout",
    "DJANGO_SETTINGS_MODULE": "pytest-django",
    "env": "pytest-env",
    "mock_use_standalone_module": "pytest-mock",
}


@dataclass(frozen=True)
class PytestConfig:
    """Where pytest's configuration lives, and what its options are."""

    source: Source
    options: Mapping[str, Any]


def pytest_config(
    files: RepositoryFiles, pyproject: Mapping[str, Any] | None
) -> PytestConfig | None:
    """The file pytest itself would read, in pytest's order of precedence."""
    for name in ("pytest.ini", ".pytest.ini"):
        parser = read_ini(files, name)
        if parser is not None:
            options = dict(parser.items("pytest")) if parser.has_section("pytest") else {}
            return PytestConfig(Source(name, "[pytest]"), options)
    ini = table(pyproject or {}, "tool", "pytest", "ini_options")
    if ini:
        return PytestConfig(Source("pyproject.toml", "[tool.pytest.ini_options]"), ini)
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        parser = read_ini(files, name)
        if parser is not None and parser.has_section(section):
            return PytestConfig(Source(name, f"[{section}]"), dict(parser.items(section)))
    return None


def implied_plugins(config: PytestConfig) -> list[tuple[str, Source]]:
    """Each plugin distribution the configuration needs, with the option that needs it."""
    addopts = config.options.get("addopts", "")
    words = shlex.split(addopts) if isinstance(addopts, str) else [str(word) for word in addopts]
    found = dict(
        plugins_in_words(words, Source(config.source.file, f"{config.source.detail} addopts"))
    )
    for key, distribution in _KEYS.items():
        if key in config.options:
            found.setdefault(
                distribution, Source(config.source.file, f"{config.source.detail} {key}")
            )
    required = config.options.get("required_plugins", "")
    for requirement in required.split() if isinstance(required, str) else required:
        where = f"{config.source.detail} required_plugins"
        found.setdefault(str(requirement), Source(config.source.file, where))
    return list(found.items())


def plugins_in_words(words: Sequence[str], source: Source) -> list[tuple[str, Source]]:
    """Plugins that options of a pytest command line (or `addopts`) need."""
    found: dict[str, Source] = {}

    def need(distribution: str, option: str) -> None:
        found.setdefault(distribution, Source(source.file, f"{source.detail} {option}".strip()))

    for index, word in enumerate(words):
        option = word.split("=")[0]
        if option == "-n" or (word.startswith("-n") and word[2:].isalnum() and len(word) > 2):
            need("pytest-xdist", word)
        elif option == "-p" or (word.startswith("-p") and len(word) > 2):
            following = words[index + 1] if index + 1 < len(words) else ""
            module = word[2:] if len(word) > 2 else following
            if module in _MODULES:
                need(_MODULES[module], f"-p {module}")
        else:
            for prefix, distribution in _OPTIONS:
                if option.startswith(prefix):
                    need(distribution, option)
    return list(found.items())
