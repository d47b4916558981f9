"""集中采购: the registry's cluster memberships, group purchases and their enrolments.

Revision ID: matching_0002
Revises: matching_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "matching_0002"
down_revision = "matching_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cluster_members",
        sa.Column("membership_id", sa.String(length=100), nullable=False),
        sa.Column("cluster_body_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("membership_id"),
    )
    op.create_index("ix_cluster_members_cluster_body_id", "cluster_members", ["cluster_body_id"], unique=False)
    op.create_index("ix_cluster_members_enterprise_id", "cluster_members", ["enterprise_id"], unique=False)
    op.create_table(
        "group_purchases",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cluster_body_id", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("product_version", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("package_code", sa.String(length=50), nullable=False),
        sa.Column("catalogue_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_group_purchases_cluster_body_id", "group_purchases", ["cluster_body_id"], unique=False)
    op.create_index("ix_group_purchases_product_id", "group_purchases", ["product_id"], unique=False)
    op.create_table(
        "group_purchase_enrolments",
        sa.Column("group_purchase_id", sa.String(length=36), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("enrolled_by", sa.String(length=100), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("delivery_note", sa.Text(), nullable=True),
        sa.Column("delivered_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("group_purchase_id", "enterprise_id"),
    )


def downgrade() -> None:
    op.drop_table("group_purchase_enrolments")
    op.drop_index("ix_group_purchases_product_id", table_name="group_purchases")
    op.drop_index("ix_group_purchases_cluster_body_id", table_name="group_purchases")
    op.drop_table("group_purchases")
    op.drop_index("ix_cluster_members_enterprise_id", table_name="cluster_members")
    op.drop_index("ix_cluster_members_cluster_body_id", table_name="cluster_members")
    op.drop_table("cluster_members")
