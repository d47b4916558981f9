"""Practice assessments: the verification status of registry organisations (read model) and whether an assessment
counts (false: a practice assessment of an enterprise not verified yet).

Revision ID: practice_0001
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "practice_0001"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_verification",
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.Column("verification", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.add_column("assessments", sa.Column("counts", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("assessments", "counts")
    op.drop_table("organisation_verification")
