"""The enterprise file (一企一档).

Revision ID: 0005
Revises: 0001
"""

from alembic import op

from registry.adapters.file_tables import enterprise_file_entries

revision = "0005"
down_revision = "0001"
branch_labels = ("enterprise_file",)
depends_on = None


def upgrade() -> None:
    enterprise_file_entries.create(op.get_bind())


def downgrade() -> None:
    enterprise_file_entries.drop(op.get_bind())
