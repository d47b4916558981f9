"""Tie-breaks recorded at the quota line.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

from registry.adapters.call_tables import tie_breaks

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tie_breaks.create(op.get_bind())


def downgrade() -> None:
    tie_breaks.drop(op.get_bind())
