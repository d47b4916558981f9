"""Evaluation: indicator models, facts kept, cycles, results with due process, surveys, samples, findings,
submissions, training.

Revision ID: evaluation_0001
Revises: delivery_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "evaluation_0001"
down_revision = "delivery_0001"
branch_labels = None
depends_on = None

_NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "indicator_models",
        sa.Column("version_id", sa.String(length=100), nullable=False),
        sa.Column("model_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("version_id"),
    )
    op.create_index("ix_indicator_models_model_id", "indicator_models", ["model_id"])
    op.create_table(
        "evaluation_facts",
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=True),
        sa.Column("enterprise_id", sa.String(length=100), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    for column in ("type", "provider_id", "enterprise_id"):
        op.create_index(f"ix_evaluation_facts_{column}", "evaluation_facts", [column])
    op.create_table(
        "evaluation_cycles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(length=100), nullable=False),
        sa.Column("seed", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("last_check_on", sa.Date(), nullable=True),
        sa.Column("last_check_quarter", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(["model_version"], ["indicator_models.version_id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "year", name="uq_evaluation_cycle_kind_year"),
    )
    op.create_table(
        "evaluation_results",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("provider_uscc", sa.String(length=18), nullable=False),
        sa.Column("title_id", sa.String(length=100), nullable=False),
        sa.Column("title_number", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("computed_grade", sa.String(length=10), nullable=False),
        sa.Column("grade", sa.String(length=10), nullable=False),
        sa.Column("score_milli", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=10), nullable=True),
        sa.Column("support", sa.Boolean(), nullable=False),
        sa.Column("trace", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("computed_on", sa.Date(), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("noticed_on", sa.Date(), nullable=True),
        sa.Column("rectification_due", sa.Date(), nullable=True),
        sa.Column("rechecked_on", sa.Date(), nullable=True),
        sa.Column("proposed_by", sa.String(length=100), nullable=True),
        sa.Column("appeal_until", sa.Date(), nullable=True),
        sa.Column("appealed_on", sa.Date(), nullable=True),
        sa.Column("appeal_reason", sa.String(length=4000), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("appeal_upheld", sa.Boolean(), nullable=True),
        sa.Column("decision_reason", sa.String(length=4000), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["evaluation_cycles.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cycle_id", "provider_id", name="uq_evaluation_result_provider"),
    )
    op.create_index("ix_evaluation_results_cycle_id", "evaluation_results", ["cycle_id"])
    op.create_index("ix_evaluation_results_provider_id", "evaluation_results", ["provider_id"])
    op.create_table(
        "indicator_submissions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("indicator_id", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=3), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.Column("submitted_org", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["evaluation_cycles.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_indicator_submissions_cycle_id", "indicator_submissions", ["cycle_id"])
    op.create_table(
        "satisfaction_surveys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=False),
        sa.Column("relationship", sa.String(length=30), nullable=False),
        sa.Column("source_id", sa.String(length=100), nullable=False),
        sa.Column("source_event_id", sa.String(length=100), nullable=False),
        sa.Column("questionnaire_id", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("answers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("score_milli", sa.Integer(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_id"),
    )
    op.create_index("ix_satisfaction_surveys_provider_id", "satisfaction_surveys", ["provider_id"])
    op.create_index("ix_satisfaction_surveys_enterprise_id", "satisfaction_surveys", ["enterprise_id"])
    op.create_table(
        "audit_samples",
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("seed", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("population", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("drawn", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("drawn_on", sa.Date(), nullable=False),
        sa.Column("drawn_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["evaluation_cycles.id"]),
        sa.PrimaryKeyConstraint("cycle_id", "provider_id"),
    )
    op.create_table(
        "audit_findings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("provider_id", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("summary", sa.String(length=4000), nullable=False),
        sa.Column("evidence", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_org", sa.String(length=100), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["evaluation_cycles.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_findings_cycle_id", "audit_findings", ["cycle_id"])
    op.create_table(
        "training_programmes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("organiser_id", sa.String(length=100), nullable=False),
        sa.Column("organiser_kind", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("programme_id", sa.String(length=36), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=True),
        sa.Column("sector", sa.String(length=50), nullable=True),
        sa.Column("person_times", sa.BigInteger(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["training_programmes.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_training_sessions_programme_id", "training_sessions", ["programme_id"])
    op.create_table(
        "training_attendance",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("person_key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["training_sessions.id"]),
        sa.PrimaryKeyConstraint("session_id", "person_key"),
    )
    op.create_index("ix_training_attendance_enterprise", "training_attendance", ["enterprise_id"])


def downgrade() -> None:
    for table in ("training_attendance", "training_sessions", "training_programmes", "audit_findings", "audit_samples",
                  "satisfaction_surveys", "indicator_submissions", "evaluation_results", "evaluation_cycles",
                  "evaluation_facts", "indicator_models"):
        op.drop_table(table)
