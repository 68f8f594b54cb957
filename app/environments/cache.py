"""Environments on disk, keyed by content: built once per key, reused, evicted least-recent first.

Layout under the cache root: `envs/<key>/` (a published entry: `env/` and `entry.json`),
`locks/<key>.lock`, `building/` (scratch of builds in progress), `trash/` (entries being
removed). A build happens in scratch and is published by one rename, so nobody sees half an
environment. Builders of one key hold the key's lock exclusively and the rest wait for them;
users of an entry hold it shared, and eviction skips entries whose lock it cannot take.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.environments.build import Builder
from app.environments.environment import Environment
from app.environments.recipe import EnvironmentUnavailable, Recipe

log = logging.getLogger(__name__)

_FORMAT = 1
_MAX_INPUT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class _Entry:
    key: str
    path: Path
    source_roots: tuple[str, ...]
    build_seconds: float
    size_bytes: int


class EnvironmentCache:
    """Hands out environments for recipes, building each key once; `max_bytes` caps the disk."""

    def __init__(self, root: Path, builder: Builder, *, max_bytes: int) -> None:
        self.root = root.absolute()
        self._builder = builder
        self._max_bytes = max_bytes
        for name in ("envs", "locks", "building", "trash"):
            (self.root / name).mkdir(parents=True, exist_ok=True)

    def key(self, recipe: Recipe, repository: Path) -> str:
        """The interpreter, the recipe, the content of every input, the tools and the index."""
        executable = recipe.python.executable
        stat = os.stat(executable)
        payload = {
            "format": _FORMAT,
            "uv": _uv_version(),
            "index": self._builder.index_url,
            "python": [str(executable), os.path.realpath(executable), recipe.python.version],
            "interpreter_file": [stat.st_size, stat.st_mtime_ns],
            "steps": [[step.kind, list(step.args)] for step in recipe.steps],
            "constraints": list(recipe.constraints),
            "inputs": {name: _digest(repository, name) for name in sorted(recipe.inputs)},
        }
        encoded = json.dumps(payload, sort_keys=True).encode()
        return hashlib.sha256(encoded).hexdigest()[:32]

    @contextlib.asynccontextmanager
    async def provide(self, recipe: Recipe, repository: Path) -> AsyncIterator[Environment]:
        """The environment for `recipe`, built if no entry has its key; held until exit."""
        from functions.sandbox_command import interpreter_roots

        started = time.monotonic()
        key = self.key(recipe, repository)
        fd = os.open(self.root / "locks" / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_SH)
            entry, built = self._entry(key), False
            if entry is None:
                fcntl.flock(fd, fcntl.LOCK_UN)
                await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
                entry = self._entry(key)
                if entry is None:
                    entry, built = await self._build(key, recipe, repository), True
                # Not atomic on Linux; eviction treats a lock it cannot take as in use anyway.
                fcntl.flock(fd, fcntl.LOCK_SH)
                if built:
                    await asyncio.to_thread(self._evict, key)
            os.utime(entry.path / "entry.json")
            yield Environment(
                key=key,
                root=entry.path / "env",
                recipe=recipe,
                source_roots=entry.source_roots,
                interpreter_roots=tuple(interpreter_roots(str(recipe.python.executable))),
                built=built,
                build_seconds=entry.build_seconds,
                ready_seconds=time.monotonic() - started,
            )
        finally:
            os.close(fd)  # closing releases the lock

    def entries(self) -> list[str]:
        """Keys of the published entries, least recently used first."""
        found = [(path.stat().st_mtime, path.parent.name) for path in self._entry_files()]
        return [key for _, key in sorted(found)]

    def _entry_files(self) -> list[Path]:
        return [
            p / "entry.json" for p in (self.root / "envs").iterdir() if (p / "entry.json").exists()
        ]

    def _entry(self, key: str) -> _Entry | None:
        path = self.root / "envs" / key
        try:
            data: dict[str, Any] = json.loads((path / "entry.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return _Entry(
            key=key,
            path=path,
            source_roots=tuple(data["source_roots"]),
            build_seconds=float(data["build_seconds"]),
            size_bytes=int(data["size_bytes"]),
        )

    async def _build(self, key: str, recipe: Recipe, repository: Path) -> _Entry:
        scratch = Path(tempfile.mkdtemp(prefix=f"{key[:12]}-", dir=self.root / "building"))
        try:
            built = await self._builder.build(recipe, repository, scratch)
            size = _tree_bytes(built.root)
            (built.root.parent / "entry.json").write_text(
                json.dumps(
                    {
                        "key": key,
                        "source_roots": list(built.source_roots),
                        "build_seconds": round(built.seconds, 3),
                        "size_bytes": size,
                        "python": str(recipe.python.executable),
                        "built_at": time.time(),
                    }
                ),
                encoding="utf-8",
            )
            os.rename(built.root.parent, self.root / "envs" / key)
        finally:
            await asyncio.to_thread(shutil.rmtree, scratch, True)
        log.info(
            "environment built",
            extra={"environment_key": key, "build_seconds": round(built.seconds, 2)},
        )
        entry = self._entry(key)
        if entry is None:
            raise EnvironmentUnavailable(f"the environment {key} vanished after its build")
        return entry

    def _evict(self, keep: str) -> None:
        entries = [e for e in (self._entry(k) for k in self.entries()) if e is not None]
        total = sum(entry.size_bytes for entry in entries)
        for entry in entries:
            if total <= self._max_bytes:
                return
            if entry.key == keep:
                continue
            fd = os.open(self.root / "locks" / f"{entry.key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # in use: a run holds it
                doomed = Path(tempfile.mkdtemp(dir=self.root / "trash")) / entry.key
                os.rename(entry.path, doomed)
            finally:
                os.close(fd)
            shutil.rmtree(doomed.parent, ignore_errors=True)
            total -= entry.size_bytes
            log.info("environment evicted", extra={"environment_key": entry.key})


def _digest(repository: Path, name: str) -> str | None:
    root = repository.resolve()
    path = (root / name).resolve()
    if root not in path.parents:
        raise EnvironmentUnavailable(f"recipe input {name!r} lies outside the repository")
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read(_MAX_INPUT_BYTES)).hexdigest()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise EnvironmentUnavailable(f"cannot read recipe input {name}: {error}") from error


def _tree_bytes(root: Path) -> int:
    total = 0
    for directory, _, files in os.walk(root):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(directory, name)).st_size
    return total


def _uv_version() -> str:
    try:
        return importlib.metadata.version("uv")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
