"""External identities bound to accounts (token exchange, RFC 8693).

Revision ID: exchange_0001
Revises: signup_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "exchange_0001"
down_revision = "signup_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_identities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("claimed_name", sa.String(length=200), nullable=True),
        sa.Column("claimed_email", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("last_exchanged_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"]),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id"),
        sa.UniqueConstraint("issuer", "subject", "organisation_id", name="uq_external_identity"),
    )
    op.create_index(
        op.f("ix_external_identities_organisation_id"), "external_identities", ["organisation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_external_identities_organisation_id"), table_name="external_identities")
    op.drop_table("external_identities")
