"""Foundation: outbox, inbox, dead letters, audit, idempotency keys, the organisations read model.

Revision ID: 0001
Revises:
"""

from alembic import op
from sihua_shared.migrations import create_common_tables, drop_common_tables
from sihua_shared.readmodels import create_readmodel_tables, known_organisations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_common_tables(op)
    create_readmodel_tables(op)


def downgrade() -> None:
    known_organisations.drop(op.get_bind())
    drop_common_tables(op)
