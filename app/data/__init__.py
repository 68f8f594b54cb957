"""The unified data layer: SQL queries, the cache, batching with `DataLoader`, fix memory."""

from app.data.cache import InProcessCache, RedisCache
from app.data.embedding import Embedder, HashingEmbedder
from app.data.errors import (
    CacheValueError,
    DataQueryError,
    UnconfiguredStoreError,
    UnknownColumnError,
    UnknownTableError,
    UnsupportedOperatorError,
    UnsupportedQueryTypeError,
)
from app.data.layer import UnifiedDataLayer
from app.data.loader import DataLoader
from app.data.ports import Cache, Row, Store
from app.data.sql import SqlStore

__all__ = [
    "Cache",
    "CacheValueError",
    "DataLoader",
    "DataQueryError",
    "Embedder",
    "HashingEmbedder",
    "InProcessCache",
    "RedisCache",
    "Row",
    "SqlStore",
    "Store",
    "UnconfiguredStoreError",
    "UnifiedDataLayer",
    "UnknownColumnError",
    "UnknownTableError",
    "UnsupportedOperatorError",
    "UnsupportedQueryTypeError",
]
