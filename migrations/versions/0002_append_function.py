"""PostgreSQL: append a group of events in one round trip.

The group commit's transaction took seven round trips (BEGIN, the append lock, duplicate and
version lookups, two inserts, COMMIT); under load each waits on a busy CPU, and webhooks wait
on the group. This function does the same work, under the same lock, as one statement. SQLite
keeps the statements in `SqlEventStore._write_group`: the contract tests run both.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# `events` is a JSON array of the events in arrival order without their payloads, each with
# id, type, source, stream, metadata, idempotency_key (or null), occurred_at and outbox (true
# to queue it); `payloads` holds their payloads in the same order, as json (kept as sent, and
# parsed once rather than scanned by every field lookup). One row per event, in order: its
# position and stream version, or the id of the event that already holds its idempotency key
# (an earlier one in the same batch included).
APPEND_FUNCTION = """
CREATE FUNCTION kintsugi_append(events jsonb, payloads json[], lock_key bigint)
RETURNS TABLE (out_n integer, out_position bigint, out_version integer, out_existing uuid)
LANGUAGE plpgsql AS $fn$
DECLARE
    item jsonb;
    idem text;
BEGIN
    -- Statements below each take a new snapshot: after the lock, every earlier append shows.
    PERFORM pg_advisory_xact_lock(lock_key);
    FOR i IN 1 .. jsonb_array_length(events) LOOP
        item := events -> (i - 1);
        out_n := i;
        out_position := NULL;
        out_version := NULL;
        out_existing := NULL;
        idem := item->>'idempotency_key';
        IF idem IS NOT NULL THEN
            SELECT e.id INTO out_existing FROM events e WHERE e.idempotency_key = idem;
        END IF;
        IF out_existing IS NULL THEN
            SELECT coalesce(max(e.stream_version), 0) + 1 INTO out_version
                FROM events e WHERE e.stream = item->>'stream';
            INSERT INTO events (
                id, type, source, stream, stream_version, payload, metadata,
                idempotency_key, occurred_at
            ) VALUES (
                (item->>'id')::uuid, item->>'type', item->>'source', item->>'stream',
                out_version, payloads[i], (item->'metadata')::json, idem,
                (item->>'occurred_at')::timestamptz
            ) RETURNING events.position INTO out_position;
            IF (item->>'outbox')::boolean THEN
                INSERT INTO outbox (
                    event_id, position, event_type, status, attempts, rounds, updated_at
                ) VALUES (
                    (item->>'id')::uuid, out_position, item->>'type', 'pending', 0, 0,
                    clock_timestamp()
                );
            END IF;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$fn$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION kintsugi_append(jsonb, json[], bigint)")
