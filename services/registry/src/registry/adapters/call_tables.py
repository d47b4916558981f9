"""Calls (征集), applications and their attachments, the expert pool's fields, review panels, publicity and objections.

Organisations are referenced by foreign key (they live in the foundation revision); accounts and titles belong to
other migration branches and are referenced by id only.
"""

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
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from .tables import metadata

calls = Table(
    "calls",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(64), nullable=False),  # a title kind of the jurisdiction (revision recog_0001 widened it)
    Column("category", String(50)),
    Column("sector", String(50)),
    Column("title", String(300), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("state", String(20), nullable=False, server_default="draft"),
    Column("opens_on", Date, nullable=False),
    Column("closes_on", Date),
    Column("required_materials", JSONB, nullable=False),
    Column("rubric", JSONB, nullable=False),
    Column("experts_per_application", Integer, nullable=False),
    Column("pass_mark", Numeric(5, 2)),
    Column("quota", Integer),
    Column("spread_limit", Numeric(5, 2), nullable=False),
    Column("review_days", Integer, nullable=False),
    Column("field_matching", String(10), nullable=False, server_default="prefer"),
    Column("publicity_working_days", Integer),
    # The recorded seed of the random draw of panels (set at the first assignment, or given by the officer).
    Column("assignment_seed", BigInteger),
    Column("created_by", String(100), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_calls_state", "state"),
)

applications = Table(
    "applications",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("call_id", String(36), ForeignKey("calls.id"), nullable=False),
    Column("organisation_id", String(36), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("state", String(20), nullable=False, server_default="draft"),
    Column("title", String(300), nullable=False),
    Column("summary", Text, nullable=False, server_default=""),
    Column("fields", JSONB, nullable=False, server_default="[]"),
    Column("content", JSONB, nullable=False, server_default="{}"),
    Column("return_reasons", JSONB),
    Column("submitted_at", DateTime(timezone=True)),
    # The panel draw: seed, the whole pool in draw order, exclusions, declined experts (reproducible and explainable).
    Column("panel", JSONB),
    Column("final_score", Numeric(6, 2)),
    Column("score_spread", Numeric(6, 2)),
    Column("criterion_means", JSONB),
    Column("needs_chair_review", Boolean, nullable=False, server_default="false"),
    Column("chair_confirmed_at", DateTime(timezone=True)),
    Column("chair_comment", Text),
    Column("rank", Integer),
    Column("publicity_id", String(36)),
    Column("decided_on", Date),
    # The review round (year-round calls) whose batch the application went to review in (revision recog_0001).
    Column("review_round_id", String(36)),
    Column("created_by", String(100), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One live application per organisation per call, whatever the application code does.
    Index(
        "uq_application_live", "call_id", "organisation_id", unique=True,
        postgresql_where=text("state NOT IN ('withdrawn', 'rejected')"),
    ),
    Index("ix_applications_call_state", "call_id", "state"),
)

application_attachments = Table(
    "application_attachments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False, index=True),
    Column("material_code", String(50), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(150), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("storage_key", String(300), nullable=False),
    Column("uploaded_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The experts' pool profiles (accounts with the role expert): fields of expertise, district, declared conflicts;
# set by city officers.
expert_profiles = Table(
    "expert_profiles",
    metadata,
    Column("account_id", String(36), primary_key=True),
    Column("fields", JSONB, nullable=False, server_default="[]"),
    Column("can_chair", Boolean, nullable=False, server_default="true"),
    Column("district", String(50)),  # 区 code, when the expert is bound to one (revision facts_0001)
    # Organisations the expert declares a conflict with, besides those the relationships give (revision facts_0001).
    Column("declared_conflicts", JSONB, nullable=False, server_default="[]"),
    Column("updated_by", String(100), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

panel_members = Table(
    "panel_members",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False),
    Column("call_id", String(36), ForeignKey("calls.id"), nullable=False),
    Column("expert_id", String(36), nullable=False, index=True),
    Column("chair", Boolean, nullable=False, server_default="false"),
    Column("status", String(20), nullable=False, server_default="assigned"),  # assigned, scored, declined
    Column("due_on", Date, nullable=False),
    Column("decline_reason", Text),
    Column("scores", JSONB),
    Column("comments", JSONB),
    Column("total", Numeric(6, 2)),
    Column("scored_at", DateTime(timezone=True)),
    Column("assigned_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("application_id", "expert_id", name="uq_panel_member"),
)

publicities = Table(
    "publicities",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("call_id", String(36), ForeignKey("calls.id"), nullable=False),
    Column("state", String(20), nullable=False, server_default="running"),  # running, finalised
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("working_days", Integer, nullable=False),
    Column("ranking", JSONB, nullable=False),
    Column("published_by", String(100), nullable=False),
    Column("decided_on", Date),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # One publicity at a time per call; year-round calls publish round after round.
    Index("uq_publicity_running", "call_id", unique=True, postgresql_where=text("state = 'running'")),
)

objections = Table(
    "objections",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("publicity_id", String(36), ForeignKey("publicities.id"), nullable=False, index=True),
    Column("application_id", String(36), ForeignKey("applications.id"), nullable=False),
    Column("call_id", String(36), nullable=False),
    Column("organisation_id", String(36), nullable=False),
    Column("filed_by", String(100), nullable=False),
    Column("filed_by_org", String(36)),
    Column("reasons", Text, nullable=False),
    Column("state", String(20), nullable=False, server_default="open"),  # open, upheld, dismissed
    Column("resolution", Text),
    Column("resolved_by", String(100)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

CALL_TABLES = (calls, applications, application_attachments, expert_profiles, panel_members, publicities, objections)

# A tie at the quota line settled by the panel chair or a city officer (revision 0008): the recorded order of exactly
# the tied applications, with the written reason. ``recorded`` until a publicity applies it (``applied``), or until a
# later record for a changed tie replaces it (``superseded``).
tie_breaks = Table(
    "tie_breaks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("call_id", String(36), ForeignKey("calls.id"), nullable=False),
    Column("application_ids", JSONB, nullable=False),
    Column("method", String(30), nullable=False),
    Column("reason", Text, nullable=False),
    Column("state", String(20), nullable=False, server_default="recorded"),
    Column("recorded_by", String(100), nullable=False),
    Column("recorded_as", String(20), nullable=False),  # chair, city_officer
    Column("publicity_id", String(36)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("uq_tie_break_recorded", "call_id", unique=True, postgresql_where=text("state = 'recorded'")),
)

# A review round of a year-round call (revision recog_0001): a city officer closes a batch of the applications submitted
# so far; the round's publicity covers that batch, and intake stays open for the next round. ``closed`` until its
# publicity is published (``published``), or ``lapsed`` when nothing of its batch was left to publicise.
review_rounds = Table(
    "review_rounds",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("call_id", String(36), ForeignKey("calls.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", String(20), nullable=False, server_default="closed"),  # closed, published, lapsed
    Column("closed_on", Date, nullable=False),
    Column("closed_by", String(100), nullable=False),
    Column("application_ids", JSONB, nullable=False),
    Column("publicity_id", String(36)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("call_id", "number", name="uq_review_round_number"),
    # one round waits for its publicity at a time: the next batch is closed after it is published
    Index("uq_review_round_pending", "call_id", unique=True, postgresql_where=text("state = 'closed'")),
)
