"""The vector store on Qdrant: collections of (id, vector, payload) points and similarity search.

Kintsugi runs qdrant-client in its embedded local mode (a path on disk or ":memory:"), so no
server is needed; an `AsyncQdrantClient` pointed at a server works the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qdrant_client import AsyncQdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from app.data.errors import DataQueryError, UnknownTableError
from app.data.ports import Row
from app.errors import ConfigurationError, TransientError

# Qdrant accepts only unsigned integers and UUIDs as point ids; other keys map onto UUIDs.
_POINT_NAMESPACE = uuid.UUID("6f1d2a3e-8c47-4b5e-9a0f-2d7c1e5b8a94")
_KEY_FIELD = "_key"
PayloadValue = str | int | bool


@dataclass(frozen=True)
class VectorPoint:
    key: str | int
    vector: Sequence[float]
    payload: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VectorHit:
    key: str | int
    score: float
    payload: dict[str, Any]


def point_id(key: str | int) -> str | int:
    """The Qdrant id for a key: integers and UUID strings as they are, anything else a UUIDv5."""
    if isinstance(key, int) and not isinstance(key, bool) and key >= 0:
        return key
    try:
        return str(uuid.UUID(str(key)))
    except ValueError:
        return str(uuid.uuid5(_POINT_NAMESPACE, str(key)))


class QdrantStore:
    """Query types: "upsert" `{"collection", "points": [{"id", "vector", "payload"}]}`,
    "search" `{"collection", "vector", "limit", "filters": {field: value}}` and
    "delete" `{"collection", "ids": [...]}`. Collections are cosine-distance."""

    def __init__(self, client: AsyncQdrantClient | str) -> None:
        if isinstance(client, str):
            self._client = (
                AsyncQdrantClient(location=":memory:")
                if client == ":memory:"
                else AsyncQdrantClient(path=client)
            )
            self._owns_client = True
        else:
            self._client = client
            self._owns_client = False

    @property
    def query_types(self) -> frozenset[str]:
        return frozenset({"upsert", "search", "delete"})

    async def ensure_collection(self, collection: str, dimension: int) -> None:
        """Create the collection, or check that an existing one has the same vector size."""
        try:
            if await self._client.collection_exists(collection):
                info = await self._client.get_collection(collection)
                vectors = info.config.params.vectors
                size = vectors.size if isinstance(vectors, models.VectorParams) else None
                if size != dimension:
                    raise ConfigurationError(
                        f"collection {collection!r} holds {size}-dimensional vectors but the "
                        f"embedder makes {dimension}; use a new collection after changing models"
                    )
                return
            await self._client.create_collection(
                collection,
                vectors_config=models.VectorParams(size=dimension, distance=models.Distance.COSINE),
            )
        except (ResponseHandlingException, UnexpectedResponse) as exc:
            raise TransientError(f"qdrant unavailable: {exc}") from exc

    async def upsert(self, collection: str, points: Sequence[VectorPoint]) -> None:
        structs = [
            models.PointStruct(
                id=point_id(p.key),
                vector=[float(x) for x in p.vector],
                payload={**p.payload, _KEY_FIELD: p.key},
            )
            for p in points
        ]
        await self._call(collection, self._client.upsert(collection, points=structs, wait=True))

    async def search(
        self,
        collection: str,
        vector: Sequence[float],
        *,
        limit: int = 5,
        match: Mapping[str, PayloadValue] | None = None,
    ) -> list[VectorHit]:
        condition = None
        if match:
            condition = models.Filter(
                must=[
                    models.FieldCondition(key=k, match=models.MatchValue(value=v))
                    for k, v in match.items()
                ]
            )
        response = await self._call(
            collection,
            self._client.query_points(
                collection,
                query=[float(x) for x in vector],
                limit=limit,
                query_filter=condition,
                with_payload=True,
            ),
        )
        hits = []
        for point in response.points:
            payload = dict(point.payload or {})
            key = payload.pop(_KEY_FIELD, point.id)
            hits.append(VectorHit(key=key, score=float(point.score), payload=payload))
        return hits

    async def delete(self, collection: str, keys: Sequence[str | int]) -> None:
        selector = models.PointIdsList(points=[point_id(k) for k in keys])
        await self._call(collection, self._client.delete(collection, points_selector=selector))

    async def count(self, collection: str) -> int:
        result = await self._call(collection, self._client.count(collection, exact=True))
        return int(result.count)

    async def execute(self, query_type: str, query: Mapping[str, Any]) -> list[Row]:
        collection = query.get("collection")
        if not isinstance(collection, str):
            raise DataQueryError("a vector query needs a 'collection' name")
        if query_type == "upsert":
            points = [
                VectorPoint(key=p["id"], vector=p["vector"], payload=p.get("payload") or {})
                for p in query.get("points") or []
            ]
            if not points:
                raise DataQueryError("upsert needs 'points': a non-empty list")
            await self.ensure_collection(collection, len(points[0].vector))
            await self.upsert(collection, points)
            return [{"id": p.key} for p in points]
        if query_type == "search":
            vector = query.get("vector")
            if not isinstance(vector, list | tuple) or not vector:
                raise DataQueryError("search needs 'vector': a non-empty list of numbers")
            hits = await self.search(
                collection,
                vector,
                limit=int(query.get("limit", 5)),
                match=query.get("filters"),
            )
            return [{"id": h.key, "score": h.score, "payload": h.payload} for h in hits]
        if query_type == "delete":
            keys = list(query.get("ids") or [])
            await self.delete(collection, keys)
            return [{"id": k} for k in keys]
        raise DataQueryError(f"unknown vector query type {query_type!r}")

    async def close(self) -> None:
        if self._owns_client:
            await self._client.close()

    async def _call(self, collection: str, pending: Any) -> Any:
        try:
            return await pending
        except UnexpectedResponse as exc:
            status = exc.status_code or 0
            if status == 404:
                raise UnknownTableError(f"unknown collection {collection!r}") from exc
            if 400 <= status < 500:
                raise DataQueryError(f"qdrant refused the query on {collection!r}: {exc}") from exc
            raise TransientError(f"qdrant failed: {exc}") from exc
        except ResponseHandlingException as exc:
            raise TransientError(f"qdrant unavailable: {exc}") from exc
        except ValueError as exc:
            # Local mode reports a missing collection and a wrong vector size as ValueError.
            if "not found" in str(exc):
                raise UnknownTableError(f"unknown collection {collection!r}") from exc
            raise DataQueryError(f"qdrant refused the query on {collection!r}: {exc}") from exc
