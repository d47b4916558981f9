"""An agency client's version: deactivating it is a transition (If-Match) and its fact carries the version.

Revision ID: reactions_0001
Revises: recog_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "reactions_0001"
down_revision = "recog_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_clients", sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    op.drop_column("api_clients", "version")
