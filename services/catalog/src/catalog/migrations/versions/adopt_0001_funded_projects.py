"""Adoption and outcome (issue 14 §2): funding's transformation projects and their contract lines; an adoption's
source may be a project (ids up to 100 characters).

Revision ID: adopt_0001
Revises: matching_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "adopt_0001"
down_revision = "matching_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funded_projects",
        sa.Column("project_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("traction_unit_id", sa.String(length=100), nullable=True),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("contract_number", sa.String(length=100), nullable=True),
        sa.Column("contract_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("contracted_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("project_id"),
    )
    op.create_index("ix_funded_projects_enterprise_id", "funded_projects", ["enterprise_id"], unique=False)
    op.create_table(
        "project_lines",
        sa.Column("project_id", sa.String(length=100), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("product_version", sa.Integer(), nullable=False),
        sa.Column("package_code", sa.String(length=50), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "line"),
    )
    op.create_index("ix_project_lines_product", "project_lines", ["product_id", "product_version"], unique=False)
    op.alter_column("adoptions", "source_id", type_=sa.String(length=100), existing_type=sa.String(length=36),
                    existing_nullable=False)


def downgrade() -> None:
    op.alter_column("adoptions", "source_id", type_=sa.String(length=36), existing_type=sa.String(length=100),
                    existing_nullable=False)
    op.drop_index("ix_project_lines_product", table_name="project_lines")
    op.drop_table("project_lines")
    op.drop_index("ix_funded_projects_enterprise_id", table_name="funded_projects")
    op.drop_table("funded_projects")
