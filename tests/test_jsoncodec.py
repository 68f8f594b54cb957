"""The hot-path JSON codec: orjson's speed, without its loss of integers beyond 64 bits."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from app import jsoncodec

HUGE = 123456789012345678901234567890  # 97 bits


def test_integers_beyond_64_bits_are_read_and_written_exactly() -> None:
    body = b'{"id": 123456789012345678901234567890, "n": [-18446744073709551616, 1.5]}'

    value = jsoncodec.loads(body)

    assert value == {"id": HUGE, "n": [-(2**64), 1.5]}
    assert jsoncodec.loads(jsoncodec.dumps(value)) == value
    assert jsoncodec.loads(jsoncodec.encode(value).decode()) == value


def test_a_long_run_of_digits_in_a_string_reads_the_same_either_way() -> None:
    body = '{"sha": "12345678901234567890123", "é": 1}'.encode()

    assert jsoncodec.loads(body) == json.loads(body)


def test_the_standard_library_path_writes_what_orjson_would_for_other_types() -> None:
    moment = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    key = uuid.UUID(int=7)

    written = jsoncodec.loads(jsoncodec.dumps({"big": HUGE, "at": moment, "id": key, 3: "x"}))

    assert written == {"big": HUGE, "at": "2026-11-24T16:00:00+00:00", "id": str(key), "3": "x"}


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": NaN, "n": 123456789012345678901}',
        b'{"a": Infinity}',
        b'{"n": 123456789012345678901, "s": "\xff"}',
        b'{"n": 123456789012345678901',
        b"not json",
    ],
)
def test_what_is_not_json_is_refused_with_a_decode_error(body: bytes) -> None:
    with pytest.raises(jsoncodec.JSONDecodeError):
        jsoncodec.loads(body)


def test_bytes_subclasses_and_text_are_read() -> None:
    class Carried(bytes):
        pass

    assert jsoncodec.loads(Carried(b'{"a": 1}')) == {"a": 1}
    assert jsoncodec.loads('{"a": 12345678901234567890123}') == {"a": 12345678901234567890123}
