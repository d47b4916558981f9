"""Diagnosis reports (built by the worker) and the transformation plans of completed diagnosis projects."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

from .tables import metadata

# One report per assessment. A reaction queues it (state ``pending``, ``revision`` wanted); the worker's
# report job renders it and sets ``issued_revision``. A plan added on project completion queues the next
# revision; until it is issued the previous revision stays readable.
reports = Table(
    "reports",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("assessment_id", String(36), nullable=False, unique=True),
    Column("enterprise_id", String(100), nullable=False, index=True),
    Column("state", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("issued_revision", Integer),
    Column("plan_lines", JSONB, nullable=False, server_default="[]"),
    Column("content", JSONB),
    Column("pdf_key", Text),
    Column("pdf_sha256", String(64)),
    Column("issued_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

project_plans = Table(
    "diagnosis_project_plans",
    metadata,
    Column("project_id", String(36), primary_key=True),
    Column("assessment_id", String(36), nullable=False),
    Column("plan", Text, nullable=False),
    Column("completed_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
