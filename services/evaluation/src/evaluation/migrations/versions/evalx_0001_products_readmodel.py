"""Catalog's products as evaluation keeps them (listing state, provider), for the indicators and the KPIs that
count catalog's and funding's facts (issue 15 §2, §6); the facts themselves go to evaluation_facts.

Revision ID: evalx_0001
Revises: evaluation_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "evalx_0001"
down_revision = "evaluation_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluation_products",
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("catalogue_number", sa.String(length=100), nullable=False),
        sa.Column("sectors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("admitted_event_id", sa.String(length=100), nullable=False),
        sa.Column("suspended_on", sa.Date(), nullable=True),
        sa.Column("delisted_on", sa.Date(), nullable=True),
        sa.Column("updated_event_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("product_id"),
    )
    op.create_index(op.f("ix_evaluation_products_organisation_id"), "evaluation_products", ["organisation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_evaluation_products_organisation_id"), table_name="evaluation_products")
    op.drop_table("evaluation_products")
