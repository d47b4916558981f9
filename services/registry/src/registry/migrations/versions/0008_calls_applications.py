"""Calls, applications and attachments, the expert pool's fields, review panels, publicity and objections.

Revision ID: 0008
Revises: 0001
"""

from alembic import op

from registry.adapters.call_tables import CALL_TABLES

revision = "0008"
down_revision = "0001"
branch_labels = ("calls",)
depends_on = None


def upgrade() -> None:
    for table in CALL_TABLES:
        table.create(op.get_bind())


def downgrade() -> None:
    for table in reversed(CALL_TABLES):
        table.drop(op.get_bind())
