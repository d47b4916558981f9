"""Organisation profile: size-class inputs on organisations, declared relationships, the pilot pool.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organisations", sa.Column("employees", sa.Integer(), nullable=True))
    op.add_column("organisations", sa.Column("revenue_fen", sa.BigInteger(), nullable=True))
    op.add_column(
        "organisations", sa.Column("size_class_basis", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.create_index("ix_organisations_district", "organisations", ["district"], unique=False)
    op.create_index("ix_organisations_kind", "organisations", ["kind"], unique=False)
    op.create_table(
        "organisation_relationships",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organisation_id", sa.String(length=36), nullable=False),
        sa.Column("related_organisation_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("note", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("declared_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("organisation_id <> related_organisation_id", name="ck_relationship_not_self"),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["related_organisation_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organisation_id", "related_organisation_id", "kind", name="uq_relationship"),
    )
    op.create_index(
        op.f("ix_organisation_relationships_organisation_id"),
        "organisation_relationships",
        ["organisation_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_organisation_relationships_related_organisation_id"),
        "organisation_relationships",
        ["related_organisation_id"],
        unique=False,
    )
    op.create_table(
        "pilot_pool_enrolments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("enterprise_id", sa.String(length=36), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("sector", sa.String(length=50), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=False),
        sa.Column("size_class", sa.String(length=20), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("enrolled_by", sa.String(length=100), nullable=False),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("removed_by", sa.String(length=100), nullable=True),
        sa.Column("removal_reason", sa.String(length=1000), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "ordinal", name="uq_pilot_pool_enrolment_ordinal"),
    )
    op.create_index("ix_pilot_pool_enrolments_district", "pilot_pool_enrolments", ["district"], unique=False)
    op.create_index(
        "uq_pilot_pool_enrolment_current",
        "pilot_pool_enrolments",
        ["enterprise_id"],
        unique=True,
        postgresql_where=sa.text("removed_on IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("pilot_pool_enrolments")
    op.drop_table("organisation_relationships")
    op.drop_index("ix_organisations_kind", table_name="organisations")
    op.drop_index("ix_organisations_district", table_name="organisations")
    for column in ("size_class_basis", "revenue_fen", "employees"):
        op.drop_column("organisations", column)
