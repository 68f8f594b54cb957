"""PostgreSQL: append a group of events set by set, and compress payloads with lz4.

0002's `kintsugi_append` walked the group row by row in PL/pgSQL: two lookups and two inserts
per event, each a statement of its own. Measured on the ingest benchmark's 11 kB deliveries in
groups of 16, PostgreSQL spent 0.64 ms of CPU per event there, more than the webhook server
itself. The same rules as one statement of set operations cost 0.20 ms; lz4 instead of the
default pglz for the payload column brings it to 0.12 ms. The rules are unchanged: under the
append lock, an idempotency key already stored (or taken by an earlier event of the same group)
refuses the event and names the holder; the others are numbered per stream in arrival order,
inserted in that order, and queued in the outbox when asked.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Same signature and result as 0002's: one row per input event, in order (out_n), with its
# position and stream version, or the id of the event that already holds its idempotency key.
# The lock comes first and the query after it, so the query's snapshot shows every earlier
# append. Positions follow arrival order because the insert reads its rows ordered by n.
APPEND_FUNCTION = """
CREATE OR REPLACE FUNCTION kintsugi_append(events jsonb, payloads json[], lock_key bigint)
RETURNS TABLE (out_n integer, out_position bigint, out_version integer, out_existing uuid)
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY
    WITH input AS (
        SELECT item.n::integer AS n, (item.value->>'id')::uuid AS id,
               item.value->>'type' AS type, item.value->>'source' AS source,
               item.value->>'stream' AS stream, (item.value->'metadata')::json AS metadata,
               item.value->>'idempotency_key' AS idem,
               (item.value->>'occurred_at')::timestamptz AS occurred_at,
               (item.value->>'outbox')::boolean AS outbox
        FROM jsonb_array_elements(events) WITH ORDINALITY AS item(value, n)
    ),
    keyed AS (
        SELECT i.*, coalesce(
                   (SELECT e.id FROM events e WHERE e.idempotency_key = i.idem),
                   CASE WHEN i.idem IS NOT NULL AND i.n > min(i.n) OVER same_key
                        THEN first_value(i.id) OVER same_key END
               ) AS existing
        FROM input i
        WINDOW same_key AS (PARTITION BY i.idem ORDER BY i.n)
    ),
    numbered AS (
        SELECT k.*,
               (SELECT coalesce(max(e.stream_version), 0) FROM events e WHERE e.stream = k.stream)
               + row_number() OVER (PARTITION BY k.stream ORDER BY k.n) AS version
        FROM keyed k
        WHERE k.existing IS NULL
    ),
    inserted AS (
        INSERT INTO events AS e (
            id, type, source, stream, stream_version, payload, metadata, idempotency_key,
            occurred_at
        )
        SELECT nb.id, nb.type, nb.source, nb.stream, nb.version, payloads[nb.n], nb.metadata,
               nb.idem, nb.occurred_at
        FROM numbered nb
        ORDER BY nb.n
        RETURNING e.id, e.position, e.stream_version, e.type
    ),
    queued AS (
        INSERT INTO outbox (event_id, position, event_type, status, attempts, rounds, updated_at)
        SELECT ins.id, ins.position, ins.type, 'pending', 0, 0, clock_timestamp()
        FROM inserted ins
        JOIN numbered nb ON nb.id = ins.id
        WHERE nb.outbox
    )
    SELECT k.n, ins.position, ins.stream_version, k.existing
    FROM keyed k
    LEFT JOIN inserted ins ON ins.id = k.id AND k.existing IS NULL
    ORDER BY k.n;
END
$fn$;
"""

# lz4 needs PostgreSQL 14 built with it (Debian's and the official images are); elsewhere the
# column keeps pglz, which is slower but stores the same rows.
LZ4_PAYLOADS = """
DO $do$
BEGIN
    EXECUTE 'ALTER TABLE events ALTER COLUMN payload SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN
    RAISE NOTICE 'payloads stay pglz-compressed: %', SQLERRM;
END
$do$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_FUNCTION)
        op.execute(LZ4_PAYLOADS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        previous = _revision_0002().APPEND_FUNCTION
        op.execute(previous.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
        op.execute("ALTER TABLE events ALTER COLUMN payload SET COMPRESSION DEFAULT")


def _revision_0002():  # type: ignore[no-untyped-def]
    path = Path(__file__).with_name("0002_append_function.py")
    spec = importlib.util.spec_from_file_location("kintsugi_migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
