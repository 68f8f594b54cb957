"""Errors the data layer raises, each placed in the hierarchy by what the caller should do."""

from __future__ import annotations

from app.errors import ConfigurationError, PermanentError


class DataQueryError(PermanentError):
    """A query description can never run as written: fix the query, not the database."""


class UnknownTableError(DataQueryError):
    """The query names a table the store was not given."""


class UnknownColumnError(DataQueryError):
    """The query names a column its table does not have."""


class UnsupportedOperatorError(DataQueryError):
    """A filter uses an operator outside the supported set."""


class UnsupportedQueryTypeError(DataQueryError):
    """The store does not know the requested query type."""


class CacheValueError(PermanentError):
    """A cache value is not JSON-serialisable, or a TTL is not a positive number."""


class UnconfiguredStoreError(ConfigurationError):
    """`database=` names a store this data layer was not configured with."""
