"""Which package index environment builds may reach, and the hosts that index serves from."""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from app.errors import ConfigurationError

DEFAULT_INDEX_URL = "https://pypi.org/simple"

# Indexes that serve their files from another host; the build must reach both.
_FILE_HOSTS = {"pypi.org": ("files.pythonhosted.org",)}


@dataclass(frozen=True)
class PackageIndex:
    """The one index a build installs from; `source` says where that choice was read."""

    url: str
    source: str
    extra_hosts: tuple[str, ...] = ()

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme

    def allowed(self) -> frozenset[tuple[str, int]]:
        """(host, port) pairs the egress proxy lets a build reach: the index and its file hosts."""
        parts = urlsplit(self.url)
        host = (parts.hostname or "").lower()
        port = parts.port or (443 if parts.scheme == "https" else 80)
        pairs = {(host, port)}
        for extra in (*_FILE_HOSTS.get(host, ()), *self.extra_hosts):
            pairs.add((extra.lower(), port))
        return frozenset(pairs)


def package_index(
    configured: str | None,
    extra_hosts: Sequence[str] = (),
    *,
    environ: Mapping[str, str] | None = None,
    config_files: Sequence[Path] | None = None,
) -> PackageIndex:
    """The index from the setting, else pip's own configuration, else PyPI."""
    environ = os.environ if environ is None else environ
    if configured:
        index = PackageIndex(configured, "ENVIRONMENT_INDEX_URL", tuple(extra_hosts))
    elif environ.get("PIP_INDEX_URL"):
        index = PackageIndex(environ["PIP_INDEX_URL"], "PIP_INDEX_URL", tuple(extra_hosts))
    else:
        found = _pip_config_index(environ, config_files)
        url, source = found if found else (DEFAULT_INDEX_URL, "default")
        index = PackageIndex(url, source, tuple(extra_hosts))
    _check(index)
    return index


def _pip_config_index(
    environ: Mapping[str, str], config_files: Sequence[Path] | None
) -> tuple[str, str] | None:
    # pip reads these in order and the last one that sets a value wins.
    if config_files is None:
        home = Path(environ.get("HOME", "~")).expanduser()
        config_files = [
            Path("/etc/xdg/pip/pip.conf"),
            Path("/etc/pip.conf"),
            home / ".pip/pip.conf",
            home / ".config/pip/pip.conf",
        ]
        if environ.get("PIP_CONFIG_FILE"):
            config_files.append(Path(environ["PIP_CONFIG_FILE"]))
    found: tuple[str, str] | None = None
    for path in config_files:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (OSError, configparser.Error, UnicodeDecodeError):
            continue
        for section in ("global", "install"):
            value = parser.get(section, "index-url", fallback="").strip()
            if value:
                found = (value, f"{path} [{section}] index-url")
    return found


def _check(index: PackageIndex) -> None:
    parts = urlsplit(index.url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(
            f"the package index {index.url!r} (from {index.source}) must be an http(s) URL: "
            "environment builds reach the index through an HTTP proxy"
        )
    if parts.username or parts.password:
        # The build runs repository code: a credential in the URL would be handed to it.
        raise ConfigurationError(
            f"the package index URL from {index.source} carries credentials; builds run "
            "untrusted code, so use an index that needs none"
        )
