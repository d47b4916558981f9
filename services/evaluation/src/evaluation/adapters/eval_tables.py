"""The evaluation service's own tables (revision evaluation_0001): models, facts kept, cycles, results, surveys,
samples, findings, submissions, training."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from .tables import metadata

indicator_models = Table(
    "indicator_models",
    metadata,
    Column("version_id", String(100), primary_key=True),  # <model id>@<hash prefix>
    Column("model_id", String(80), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("content", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Every fact of another service (or its own survey answers) the indicators are computed from, by its event id.
evaluation_facts = Table(
    "evaluation_facts",
    metadata,
    Column("event_id", String(100), primary_key=True),
    Column("type", String(100), nullable=False, index=True),  # producer.aggregate.fact
    Column("provider_id", String(100), index=True),
    Column("enterprise_id", String(100), index=True),
    Column("occurred_on", Date, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

cycles = Table(
    "evaluation_cycles",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("year", Integer, nullable=False),
    Column("model_version", String(100), ForeignKey("indicator_models.version_id"), nullable=False),
    Column("seed", String(128), nullable=False),
    Column("state", String(20), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("opened_by", String(100), nullable=False),
    Column("closed_on", Date),
    Column("last_check_on", Date),
    Column("last_check_quarter", Integer),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("kind", "year", name="uq_evaluation_cycle_kind_year"),
)

results = Table(
    "evaluation_results",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cycle_id", String(36), ForeignKey("evaluation_cycles.id"), nullable=False, index=True),
    Column("provider_id", String(100), nullable=False, index=True),
    Column("provider_uscc", String(18), nullable=False),
    Column("title_id", String(100), nullable=False),
    Column("title_number", String(100), nullable=False),
    Column("state", String(20), nullable=False),
    Column("computed_grade", String(10), nullable=False),
    Column("grade", String(10), nullable=False),
    Column("score_milli", Integer, nullable=False),
    Column("tier", String(10)),
    Column("support", Boolean, nullable=False),
    Column("trace", JSONB, nullable=False),
    Column("computed_on", Date, nullable=False),
    Column("reasons", JSONB, nullable=False),
    Column("noticed_on", Date),
    Column("rectification_due", Date),
    Column("rechecked_on", Date),
    Column("proposed_by", String(100)),
    Column("appeal_until", Date),
    Column("appealed_on", Date),
    Column("appeal_reason", String(4000)),
    Column("decided_by", String(100)),
    Column("decided_on", Date),
    Column("appeal_upheld", Boolean),
    Column("decision_reason", String(4000)),
    Column("issued_on", Date),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("cycle_id", "provider_id", name="uq_evaluation_result_provider"),
)

submissions = Table(
    "indicator_submissions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cycle_id", String(36), ForeignKey("evaluation_cycles.id"), nullable=False, index=True),
    Column("provider_id", String(100), nullable=False),
    Column("indicator_id", String(50), nullable=False),
    Column("value", Numeric(18, 3), nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("submitted_by", String(100), nullable=False),
    Column("submitted_org", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

surveys = Table(
    "satisfaction_surveys",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("provider_id", String(100), nullable=False, index=True),
    Column("enterprise_id", String(100), nullable=False, index=True),
    Column("relationship", String(30), nullable=False),
    Column("source_id", String(100), nullable=False, unique=True),  # the diagnosis project (later: the contract)
    Column("source_event_id", String(100), nullable=False),
    Column("questionnaire_id", String(80), nullable=False),
    Column("state", String(20), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("answers", JSONB),
    Column("score_milli", Integer),
    Column("answered_on", Date),
    Column("answered_by", String(100)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

samples = Table(
    "audit_samples",
    metadata,
    Column("cycle_id", String(36), ForeignKey("evaluation_cycles.id"), primary_key=True),
    Column("provider_id", String(100), primary_key=True),
    Column("seed", String(128), nullable=False),
    Column("size", Integer, nullable=False),
    Column("population", JSONB, nullable=False),
    Column("drawn", JSONB, nullable=False),
    Column("drawn_on", Date, nullable=False),
    Column("drawn_by", String(100), nullable=False),
)

findings = Table(
    "audit_findings",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cycle_id", String(36), ForeignKey("evaluation_cycles.id"), nullable=False, index=True),
    Column("provider_id", String(100), nullable=False),
    Column("enterprise_id", String(100)),
    Column("severity", String(10), nullable=False),
    Column("summary", String(4000), nullable=False),
    Column("evidence", JSONB, nullable=False),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_org", String(100), nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

training_programmes = Table(
    "training_programmes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(300), nullable=False),
    Column("organiser_id", String(100), nullable=False),
    Column("organiser_kind", String(20), nullable=False),  # third_party | provider
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

training_sessions = Table(
    "training_sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("programme_id", String(36), ForeignKey("training_programmes.id"), nullable=False, index=True),
    Column("held_on", Date, nullable=False),
    Column("topic", String(300), nullable=False),
    Column("district", String(50)),
    Column("sector", String(50)),
    Column("person_times", BigInteger, nullable=False),
    Column("recorded_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

training_attendance = Table(
    "training_attendance",
    metadata,
    Column("session_id", String(36), ForeignKey("training_sessions.id"), primary_key=True),
    Column("person_key", String(100), primary_key=True),  # the person's id document hash or account id
    Column("name", String(100), nullable=False),
    Column("enterprise_id", String(100)),
    Index("ix_training_attendance_enterprise", "enterprise_id"),
)

# Catalog's products as evaluation keeps them (revision evalx_0001): who provides each, and whether it is listed,
# suspended (its title revoked: temporary) or delisted — the 小快轻准 products KPI counts admitted minus delisted.
evaluation_products = Table(
    "evaluation_products",
    metadata,
    Column("product_id", String(100), primary_key=True),
    Column("organisation_id", String(100), nullable=False, index=True),
    Column("name", String(300), nullable=False),
    Column("catalogue_number", String(100), nullable=False),
    Column("sectors", JSONB, nullable=False),
    Column("state", String(20), nullable=False),  # listed | suspended | delisted
    Column("admitted_on", Date, nullable=False),
    Column("admitted_event_id", String(100), nullable=False),
    Column("suspended_on", Date),
    Column("delisted_on", Date),
    Column("updated_event_id", String(100)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Enterprises' complaints about the providers that served them (revision complaints_0001): a city officer upholds or
# dismisses each; upheld ones count in the provider's evaluation. ``district`` is the enterprise's, for its officer.
complaints = Table(
    "evaluation_complaints",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("provider_id", String(100), nullable=False, index=True),
    Column("enterprise_id", String(100), nullable=False, index=True),
    Column("district", String(50)),
    Column("subject", String(200), nullable=False),
    Column("text", String(4000), nullable=False),
    Column("state", String(20), nullable=False),  # filed | upheld | dismissed
    Column("filed_on", Date, nullable=False),
    Column("filed_by", String(100), nullable=False),
    Column("decided_on", Date),
    Column("decided_by", String(100)),
    Column("decision_reason", String(4000)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
