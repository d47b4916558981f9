"""Funding: policy versions, applications with their evidence files, the award ledger, the facts consumed (diagnosis, levels, tiers).

Revision ID: funding_0001
Revises: delivery_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "funding_0001"
down_revision = "delivery_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funding_policy_versions",
        sa.Column("version_id", sa.String(length=120), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("policy_id", sa.String(length=100), nullable=False),
        sa.Column("jurisdiction", sa.String(length=50), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("shipped", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("version_id"),
        sa.UniqueConstraint("seq"),
    )
    op.create_index("ix_funding_policy_versions_policy_id", "funding_policy_versions", ["policy_id"])
    op.create_table(
        "funding_applications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("policy_version_id", sa.String(length=120), nullable=False),
        sa.Column("policy_id", sa.String(length=100), nullable=False),
        sa.Column("measure_id", sa.String(length=100), nullable=False),
        sa.Column("clause", sa.String(length=100), nullable=False),
        sa.Column("award_group", sa.String(length=100), nullable=False),
        sa.Column("applicant_id", sa.String(length=100), nullable=False),
        sa.Column("applicant_uscc", sa.String(length=18), nullable=False),
        sa.Column("applicant_kind", sa.String(length=50), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("project_id", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("inputs", postgresql.JSONB(), nullable=False),
        sa.Column("facts", postgresql.JSONB(), server_default="{}", nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=100), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("review_note", sa.String(length=2000), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("reasons", postgresql.JSONB(), nullable=True),
        sa.Column("computed_amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=True),
        sa.Column("draft_policy", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("frozen", postgresql.JSONB(), nullable=True),
        sa.Column("trace", postgresql.JSONB(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("computed_amount_fen >= 0 AND amount_fen >= 0", name="ck_funding_application_money"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_funding_applications_applicant_id", "funding_applications", ["applicant_id"])
    op.create_index("ix_funding_applications_project", "funding_applications", ["project_id"])
    op.create_index(
        "ux_funding_application_measure_project", "funding_applications", ["measure_id", "project_id"], unique=True,
        postgresql_where=sa.text("state IN ('submitted', 'reviewed', 'approved')"),
    )
    op.create_table(
        "funding_evidence",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_funding_evidence_application_id", "funding_evidence", ["application_id"])
    op.create_table(
        "funding_awards",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("applicant_id", sa.String(length=100), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("policy_id", sa.String(length=100), nullable=False),
        sa.Column("policy_version_id", sa.String(length=120), nullable=False),
        sa.Column("measure_id", sa.String(length=100), nullable=False),
        sa.Column("award_group", sa.String(length=100), nullable=False),
        sa.Column("project_id", sa.String(length=100), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("amount_fen >= 0", name="ck_funding_award_amount"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", name="ux_funding_award_application"),
    )
    op.create_index("ix_funding_awards_uscc", "funding_awards", ["uscc"])
    op.create_index("ix_funding_awards_project_id", "funding_awards", ["project_id"])
    op.create_table(
        "funding_diagnosis_completions",
        sa.Column("project_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.CheckConstraint("fee_fen >= 0", name="ck_funding_diagnosis_fee"),
        sa.PrimaryKeyConstraint("project_id"),
    )
    op.create_table(
        "funding_levels",
        sa.Column("assessment_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("assessment_id"),
    )
    op.create_index("ix_funding_levels_enterprise_id", "funding_levels", ["enterprise_id"])
    op.create_table(
        "funding_tiers",
        sa.Column("cycle_id", sa.String(length=100), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=10), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("cycle_id", "provider_id"),
    )


def downgrade() -> None:
    op.drop_table("funding_tiers")
    op.drop_table("funding_levels")
    op.drop_table("funding_diagnosis_completions")
    op.drop_table("funding_awards")
    op.drop_table("funding_evidence")
    op.drop_table("funding_applications")
    op.drop_table("funding_policy_versions")
