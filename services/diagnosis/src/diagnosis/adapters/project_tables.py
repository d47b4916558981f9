"""Diagnosis projects (诊断服务项目): an enterprise assigned to a selected diagnosis provider."""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Date, DateTime, Index, Integer, String, Table, func, text

from .tables import metadata

diagnosis_projects = Table(
    "diagnosis_projects",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("enterprise_id", String(100), nullable=False),
    Column("provider_id", String(100), nullable=False),
    Column("title_id", String(100), nullable=False),
    Column("district", String(50)),
    Column("state", String(20), nullable=False),
    Column("assigned_on", Date, nullable=False),
    Column("assigned_by", String(100), nullable=False),
    Column("completed_on", Date),
    Column("assessment_id", String(100)),
    Column("report_id", String(100)),
    Column("cancel_reason", String(1000)),
    # the fee agreed on assignment, in fen; at most 20万元 (S0 三(三))
    Column("fee_fen", BigInteger),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # one open project per enterprise at a time
    CheckConstraint("fee_fen >= 0", name="ck_diagnosis_project_fee"),
    Index("ux_diagnosis_project_open", "enterprise_id", unique=True, postgresql_where=text("state = 'assigned'")),
)
