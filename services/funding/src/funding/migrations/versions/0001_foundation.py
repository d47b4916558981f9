"""Foundation: the shared tables (outbox, inbox, dead letters, audit, idempotency keys), body common_v1.

Revision ID: 0001
Revises:
"""

from alembic import op

from sihua_shared.migrations import common_v1, common_v1_downgrade

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    common_v1(op)


def downgrade() -> None:
    common_v1_downgrade(op)
