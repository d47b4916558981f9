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


def consumer_foundation_upgrade(op: Any) -> None:
    """Revision 0001 of a service that consumes the registry's facts: common tables and organisations."""
    from .readmodels import create_readmodel_tables

    create_common_tables(op)
    create_readmodel_tables(op)


def consumer_foundation_downgrade(op: Any) -> None:
    from .readmodels import known_organisations

    known_organisations.drop(op.get_bind())
    drop_common_tables(op)
