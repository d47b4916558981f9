"""Alembic helpers shared by every service's history.

``create_common_tables`` is the first revision's body in each service: the tables of
``sihua_shared.tables``, the audit table's append-only guard and the outbox's wake-up trigger.
"""

from __future__ import annotations

from typing import Any

from .tables import audit_log, common_metadata

OUTBOX_CHANNEL = "sihua_outbox"

_OUTBOX_TRIGGER = f"""
CREATE OR REPLACE FUNCTION sihua_outbox_notify() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('{OUTBOX_CHANNEL}', '');
  RETURN NULL;
END $$ LANGUAGE plpgsql;
---
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
  FOR EACH STATEMENT EXECUTE FUNCTION sihua_outbox_notify();
"""

# The audit trail is append-only: the database itself refuses UPDATE and DELETE.
_AUDIT_GUARD = f"""
CREATE OR REPLACE FUNCTION sihua_audit_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END $$ LANGUAGE plpgsql;
---
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {audit_log.name}
  FOR EACH ROW EXECUTE FUNCTION sihua_audit_append_only();
"""


def create_common_tables(op: Any) -> None:
    bind = op.get_bind()
    common_metadata.create_all(bind)
    for block in (_OUTBOX_TRIGGER, _AUDIT_GUARD):
        for statement in block.split("---"):
            op.execute(statement)
    op.create_index(
        "ix_outbox_unpublished", "outbox", ["seq"], postgresql_where="published_at IS NULL"
    )


def drop_common_tables(op: Any) -> None:
    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP TRIGGER IF EXISTS audit_append_only ON audit_log")
    common_metadata.drop_all(op.get_bind())
    op.execute("DROP FUNCTION IF EXISTS sihua_outbox_notify()")
    op.execute("DROP FUNCTION IF EXISTS sihua_audit_append_only()")


# Order per aggregate under failed publishes, and the indexes and counts of the retention job. Spelled out
# with IF NOT EXISTS: a database whose first revision built the tables from the live metadata has them already.
_COMMON_V2 = """
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS aggregate text GENERATED ALWAYS AS (envelope ->> 'subject') STORED
---
CREATE INDEX IF NOT EXISTS ix_outbox_unpublished_aggregate ON outbox (aggregate, seq) WHERE published_at IS NULL
---
CREATE INDEX IF NOT EXISTS ix_outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL
---
CREATE INDEX IF NOT EXISTS ix_processed_messages_processed_at ON processed_messages (processed_at)
---
CREATE INDEX IF NOT EXISTS ix_idempotency_keys_created_at ON idempotency_keys (created_at)
---
CREATE TABLE IF NOT EXISTS pruned_rows (
  table_name varchar(100) PRIMARY KEY,
  pruned bigint NOT NULL DEFAULT 0,
  last_run_at timestamp with time zone NOT NULL DEFAULT now()
)
"""

_DROP_COMMON_V2 = """
DROP TABLE IF EXISTS pruned_rows
---
DROP INDEX IF EXISTS ix_idempotency_keys_created_at
---
DROP INDEX IF EXISTS ix_processed_messages_processed_at
---
DROP INDEX IF EXISTS ix_outbox_published_at
---
DROP INDEX IF EXISTS ix_outbox_unpublished_aggregate
---
ALTER TABLE outbox DROP COLUMN IF EXISTS aggregate
"""


def common_v2(op: Any) -> None:
    """The second version of the tables every service has; each service's history calls it once."""
    for statement in _COMMON_V2.split("---"):
        op.execute(statement)


def drop_common_v2(op: Any) -> None:
    for statement in _DROP_COMMON_V2.split("---"):
        op.execute(statement)


def consumer_foundation_upgrade(op: Any) -> None:
    """Revision 0001 of a service that consumes the registry's facts: common tables and organisations."""
    from .readmodels import create_readmodel_tables

    create_common_tables(op)
    create_readmodel_tables(op)


def consumer_foundation_downgrade(op: Any) -> None:
    from .readmodels import known_organisations

    known_organisations.drop(op.get_bind())
    drop_common_tables(op)
