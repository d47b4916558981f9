"""Common tables, version 2: the outbox's aggregate (order per aggregate) and the retention job's indexes and counts.

Revision ID: delivery_0001
Revises: revocation_0001
"""

from alembic import op

from sihua_shared.migrations import common_v2, common_v2_downgrade

revision = "delivery_0001"
down_revision = "revocation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    common_v2(op)


def downgrade() -> None:
    common_v2_downgrade(op)
