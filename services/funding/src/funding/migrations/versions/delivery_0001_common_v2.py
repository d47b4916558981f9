"""Common tables, version 2: the outbox's aggregate (order per aggregate) and the retention job's indexes and counts.

Revision ID: delivery_0001
Revises: 0002
"""

from alembic import op

from sihua_shared.migrations import common_v2, drop_common_v2

revision = "delivery_0001"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    common_v2(op)


def downgrade() -> None:
    drop_common_v2(op)
