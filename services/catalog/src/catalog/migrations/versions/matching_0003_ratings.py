"""Ratings (评价) of adopted product versions.

Revision ID: matching_0003
Revises: matching_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "matching_0003"
down_revision = "matching_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "product_ratings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("product_version", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_by", sa.String(length=100), nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("hidden_reason", sa.Text(), nullable=True),
        sa.Column("hidden_by", sa.String(length=100), nullable=True),
        sa.Column("hidden_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_product_ratings_once", "product_ratings", ["product_id", "product_version", "enterprise_id"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("ux_product_ratings_once", table_name="product_ratings")
    op.drop_table("product_ratings")
