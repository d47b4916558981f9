"""Titles and their number sequences.

Revision ID: 0007
Revises: 0001
"""

from alembic import op

from registry.adapters.title_tables import title_sequences, titles

revision = "0007"
down_revision = "0001"
branch_labels = ("titles",)
depends_on = None


def upgrade() -> None:
    titles.create(op.get_bind())
    title_sequences.create(op.get_bind())


def downgrade() -> None:
    title_sequences.drop(op.get_bind())
    titles.drop(op.get_bind())
