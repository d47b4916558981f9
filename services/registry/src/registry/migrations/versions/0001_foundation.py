"""Foundation: outbox, inbox, dead letters, audit, idempotency keys, organisations.

Revision ID: 0001
Revises:
"""

from alembic import op
from sihua_shared.migrations import create_common_tables, drop_common_tables

from registry.adapters.tables import organisations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_common_tables(op)
    organisations.create(op.get_bind())


def downgrade() -> None:
    organisations.drop(op.get_bind())
    drop_common_tables(op)
