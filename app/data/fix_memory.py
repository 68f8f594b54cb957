"""Fix memory: past incidents with the fixes proposed for them, recalled by similarity.

Healing ranks its candidates with it (a fix shaped like one maintainers merged for a similar
incident is more credible) and shows the nearest merged fixes to the LLM as examples.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from app.data.embedding import Embedder, HashingEmbedder

if TYPE_CHECKING:
    # qdrant-client takes about a second to import: only code that stores fixes pays for it.
    from app.data.vector import PayloadValue, QdrantStore

DEFAULT_COLLECTION = "fix_memory"
_FRAME_LINE = re.compile(r'File "(?P<path>[^"]+)", line \d+, in (?P<function>\S+)')
_LIBRARY_ROOTS = ("site-packages/", "dist-packages/")


class FixOutcome(StrEnum):
    MERGED = "merged"
    REJECTED = "rejected"
    REVERTED = "reverted"


@dataclass(frozen=True)
class RememberedFix:
    """One incident and one fix proposed for it, with what became of the fix."""

    incident_id: str
    exception_type: str
    message: str
    frames: tuple[str, ...]
    code_context: str
    diff: str
    outcome: FixOutcome
    repository: str = ""
    strategy: str = ""

    @property
    def memory_key(self) -> str:
        # One memory per (incident, diff): re-recording the same fix replaces it (jobs run
        # at least once), while a rejected and a later merged fix for one incident both stay.
        digest = hashlib.sha256(self.diff.encode()).hexdigest()[:16]
        return f"{self.repository}/{self.incident_id}/{digest}"

    def incident_text(self) -> str:
        return describe_incident(self.exception_type, self.message, self.frames, self.code_context)


@dataclass(frozen=True)
class SimilarFix:
    fix: RememberedFix
    score: float


def normalise_frame(frame: str) -> str:
    """`path:function` with line numbers and machine-specific path prefixes removed.

    Accepts a traceback line (`File "/srv/app/models.py", line 42, in save`) or `path:function`.
    Library frames keep their path below site-packages; others keep their last two parts.
    """
    text = frame.strip()
    found = _FRAME_LINE.search(text)
    if found:
        path, function = found.group("path"), found.group("function")
    else:
        path, _, function = text.rpartition(":")
        if not path:
            path, function = text, ""
    path = path.replace("\\", "/")
    for root in _LIBRARY_ROOTS:
        if root in path:
            path = path.split(root, 1)[1]
            break
    else:
        path = "/".join(path.split("/")[-2:])
    return f"{path}:{function}" if function else path


def describe_incident(
    exception_type: str, message: str, frames: Iterable[str], code_context: str = ""
) -> str:
    """The text that is embedded for an incident, on both the storing and the asking side."""
    lines = [f"{exception_type}: {message}"]
    lines.extend(normalise_frame(f) for f in frames)
    if code_context:
        lines.append(code_context)
    return "\n".join(lines)


class FixMemory:
    """Remembers fixes and recalls the ones whose incidents look most like a new one."""

    def __init__(
        self,
        store: QdrantStore,
        embedder: Embedder | None = None,
        *,
        collection: str = DEFAULT_COLLECTION,
    ) -> None:
        self._store = store
        self._embedder: Embedder = embedder or HashingEmbedder()
        self._collection = collection
        self._ready = False
        self._ready_lock = asyncio.Lock()

    async def remember(self, *fixes: RememberedFix) -> None:
        """Store fixes (idempotent per incident and diff)."""
        if not fixes:
            return
        from app.data.vector import VectorPoint

        await self._ensure_ready()
        vectors = await self._embedder.embed([f.incident_text() for f in fixes])
        points = [
            VectorPoint(key=fix.memory_key, vector=vector, payload=_payload(fix))
            for fix, vector in zip(fixes, vectors, strict=True)
        ]
        await self._store.upsert(self._collection, points)

    async def similar(
        self,
        incident_text: str,
        limit: int = 5,
        *,
        outcome: FixOutcome | None = None,
        repository: str | None = None,
    ) -> list[SimilarFix]:
        """The remembered fixes nearest to `incident_text`, best first (cosine score ≤ 1)."""
        await self._ensure_ready()
        [vector] = await self._embedder.embed([incident_text])
        if not any(vector):
            return []
        match: dict[str, PayloadValue] = {}
        if outcome is not None:
            match["outcome"] = outcome.value
        if repository is not None:
            match["repository"] = repository
        hits = await self._store.search(self._collection, vector, limit=limit, match=match)
        return [SimilarFix(fix=_fix(hit.payload), score=hit.score) for hit in hits]

    async def forget(self, fix: RememberedFix) -> None:
        await self._ensure_ready()
        await self._store.delete(self._collection, [fix.memory_key])

    async def count(self) -> int:
        await self._ensure_ready()
        return await self._store.count(self._collection)

    async def _ensure_ready(self) -> None:
        if self._ready:
            return
        async with self._ready_lock:
            if not self._ready:
                await self._store.ensure_collection(self._collection, self._embedder.dimension)
                self._ready = True


def _payload(fix: RememberedFix) -> dict[str, object]:
    payload = asdict(fix)
    payload["frames"] = list(fix.frames)
    payload["outcome"] = fix.outcome.value
    return payload


def _fix(payload: dict[str, object]) -> RememberedFix:
    frames = payload.get("frames")
    return RememberedFix(
        incident_id=str(payload["incident_id"]),
        exception_type=str(payload["exception_type"]),
        message=str(payload["message"]),
        frames=tuple(str(f) for f in frames) if isinstance(frames, list) else (),
        code_context=str(payload.get("code_context", "")),
        diff=str(payload["diff"]),
        outcome=FixOutcome(str(payload["outcome"])),
        repository=str(payload.get("repository", "")),
        strategy=str(payload.get("strategy", "")),
    )
