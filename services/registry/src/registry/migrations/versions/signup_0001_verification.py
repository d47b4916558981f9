"""Public sign-up: an organisation's verification status, its sign-up contact, and the sign-up throttle.

Organisations registered so far were registered by officials: they are ``verified`` (the server default).

Revision ID: signup_0001
Revises: sizeclass_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "signup_0001"
down_revision = "facts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organisations", sa.Column("verification", sa.String(length=20), server_default="verified", nullable=False))
    op.add_column("organisations", sa.Column("verified_by", sa.String(length=30), nullable=True))
    op.add_column("organisations", sa.Column("verification_decided_on", sa.Date(), nullable=True))
    op.add_column("organisations", sa.Column("verification_decided_by", sa.String(length=100), nullable=True))
    op.add_column("organisations", sa.Column("rejection_reason", sa.String(length=1000), nullable=True))
    op.add_column("organisations", sa.Column("contact_name", sa.String(length=200), nullable=True))
    op.add_column("organisations", sa.Column("contact_email", sa.String(length=320), nullable=True))
    op.create_index("ix_organisations_verification", "organisations", ["verification"], unique=False)
    op.create_table(
        "sign_up_attempts",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("sign_up_attempts")
    op.drop_index("ix_organisations_verification", table_name="organisations")
    for column in ("contact_email", "contact_name", "rejection_reason", "verification_decided_by",
                   "verification_decided_on", "verified_by", "verification"):
        op.drop_column("organisations", column)
