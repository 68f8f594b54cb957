"""JSON for the hot path, through orjson: webhook bodies in, stored payloads out and back.

Several times faster than the standard library on 10 kB webhook payloads. Stricter where the
standard library is lax: NaN and Infinity are not JSON, so a body using them is refused.
"""

from __future__ import annotations

from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError  # a subclass of json.JSONDecodeError


def loads(data: bytes | memoryview | str) -> Any:
    return orjson.loads(data)


def dumps(value: Any) -> str:
    return encode(value).decode()


def encode(value: Any) -> bytes:
    """`dumps` as UTF-8 bytes, for a wire that takes bytes."""
    # Keys that are not strings (an int-keyed dict in an internal event) become strings, as
    # the standard library makes them.
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
