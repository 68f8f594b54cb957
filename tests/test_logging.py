"""Log lines are JSON objects carrying the ids of what is being handled."""

from __future__ import annotations

import json
import logging

from app.logcontext import log_context
from app.observability import ContextFilter, JsonFormatter


def test_json_lines_carry_extra_fields_and_the_surrounding_context() -> None:
    record = logging.LogRecord(
        "kintsugi.test", logging.INFO, __file__, 1, "fix %s", ("found",), None
    )
    record.fingerprint = "abc123"
    with log_context(case_id="case-1", installation_id=7):
        ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "fix found"
    assert (line["case_id"], line["installation_id"], line["fingerprint"]) == (
        "case-1",
        7,
        "abc123",
    )
    assert line["level"] == "info"


def test_context_ends_with_its_block_and_inner_blocks_add_to_it() -> None:
    def fields() -> dict[str, object]:
        record = logging.LogRecord("t", logging.INFO, __file__, 1, "m", None, None)
        ContextFilter().filter(record)
        return {k: v for k, v in record.__dict__.items() if k in {"event_id", "case_id"}}

    with log_context(event_id="e-1"):
        with log_context(case_id="c-1"):
            assert fields() == {"event_id": "e-1", "case_id": "c-1"}
        assert fields() == {"event_id": "e-1"}
    assert fields() == {}
