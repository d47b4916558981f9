"""Funding: the read model of catalog's group purchases (S2 四(二)3): purchases, enrolments, deliveries.

Revision ID: gp_0001
Revises: money_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "gp_0001"
down_revision = "money_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funding_group_purchases",
        sa.Column("group_purchase_id", sa.String(length=100), nullable=False),
        sa.Column("cluster_body_id", sa.String(length=100), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("package_code", sa.String(length=100), nullable=True),
        sa.Column("catalogue_price_fen", sa.BigInteger(), nullable=True),
        sa.Column("price_fen", sa.BigInteger(), nullable=True),
        sa.Column("places", sa.Integer(), nullable=True),
        sa.Column("opens_on", sa.Date(), nullable=True),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("enrolled", sa.Integer(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("catalogue_price_fen >= 0 AND price_fen >= 0", name="ck_funding_group_purchase_money"),
        sa.PrimaryKeyConstraint("group_purchase_id"),
    )
    op.create_index("ix_funding_group_purchases_cluster_body_id", "funding_group_purchases", ["cluster_body_id"])
    op.create_table(
        "funding_group_purchase_enrolments",
        sa.Column("group_purchase_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("cluster_body_id", sa.String(length=100), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("places_taken", sa.Integer(), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.CheckConstraint("price_fen >= 0", name="ck_funding_group_purchase_enrolment_money"),
        sa.PrimaryKeyConstraint("group_purchase_id", "enterprise_id"),
    )
    op.create_table(
        "funding_group_purchase_deliveries",
        sa.Column("group_purchase_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("cluster_body_id", sa.String(length=100), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("delivered_on", sa.Date(), nullable=False),
        sa.CheckConstraint("price_fen >= 0", name="ck_funding_group_purchase_delivery_money"),
        sa.PrimaryKeyConstraint("group_purchase_id", "enterprise_id"),
    )
    op.create_index("ix_funding_group_purchase_deliveries_cluster_body_id", "funding_group_purchase_deliveries",
                    ["cluster_body_id"])


def downgrade() -> None:
    op.drop_table("funding_group_purchase_deliveries")
    op.drop_table("funding_group_purchase_enrolments")
    op.drop_table("funding_group_purchases")
