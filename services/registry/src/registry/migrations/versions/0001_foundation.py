"""Foundation: the shared tables (body common_v1) and organisations.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from sihua_shared.migrations import common_v1, common_v1_downgrade

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    common_v1(op)
    # The columns as they were at this revision; 0003 adds the size-class inputs.
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("uscc", sa.String(18), nullable=False, unique=True),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("district", sa.String(50)),
        sa.Column("sector", sa.String(50)),
        sa.Column("industry_code", sa.String(20)),
        sa.Column("size_class", sa.String(20)),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("organisations")
    common_v1_downgrade(op)
