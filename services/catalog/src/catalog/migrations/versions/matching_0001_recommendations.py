"""精准匹配: the systems organisations run, the consents enterprises gave, adopters, recommendation sets.

Revision ID: matching_0001
Revises: catalog_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "matching_0001"
down_revision = "catalog_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation_systems",
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.Column("systems", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("organisation_id"),
    )
    op.create_table(
        "consents",
        sa.Column("consent_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("organisation_id", sa.String(length=100), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("consent_id"),
    )
    op.create_index("ix_consents_enterprise_id", "consents", ["enterprise_id"], unique=False)
    op.create_table(
        "adoptions",
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("product_version", sa.Integer(), nullable=False),
        sa.Column("sector", sa.String(length=50), nullable=True),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("source_id", sa.String(length=36), nullable=False),
        sa.Column("adopted_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "product_id", "product_version"),
    )
    op.create_index("ix_adoptions_product_sector", "adoptions", ["product_id", "sector"], unique=False)
    op.create_table(
        "recommendation_sets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("assessment_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("edition_id", sa.String(length=50), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("weakest_scenes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rules", sa.String(length=50), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_by", sa.String(length=36), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("assessment_id"),
    )
    op.create_index("ix_recommendation_sets_enterprise_id", "recommendation_sets", ["enterprise_id"], unique=False)
    op.create_table(
        "recommendations",
        sa.Column("set_id", sa.String(length=36), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=36), nullable=False),
        sa.Column("product_version", sa.Integer(), nullable=False),
        sa.Column("catalogue_number", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scenes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("constrained_scenes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("systems", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("sector_adopters", sa.Integer(), nullable=False),
        sa.Column("min_price_fen", sa.BigInteger(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("set_id", "rank"),
    )


def downgrade() -> None:
    op.drop_table("recommendations")
    op.drop_index("ix_recommendation_sets_enterprise_id", table_name="recommendation_sets")
    op.drop_table("recommendation_sets")
    op.drop_index("ix_adoptions_product_sector", table_name="adoptions")
    op.drop_table("adoptions")
    op.drop_index("ix_consents_enterprise_id", table_name="consents")
    op.drop_table("consents")
    op.drop_table("organisation_systems")
