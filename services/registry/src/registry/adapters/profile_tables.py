"""Declared relationships between organisations, and the pilot pool (诊断+改造入库名单).

The size-class inputs live on ``organisations`` itself (``tables.py``); revision 0003 adds them.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
    func,
    text,
)

from .tables import metadata

# Shareholding, group membership, staff moving (sihua_shared.panel.RelationshipKind): they feed conflict checks.
organisation_relationships = Table(
    "organisation_relationships",
    metadata,
    Column("id", String(36), primary_key=True),
    # Declared on this organisation's page; the relationship itself has no direction.
    Column("organisation_id", String(36), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("related_organisation_id", String(36), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("kind", String(30), nullable=False),
    Column("note", String(1000), nullable=False, server_default=""),
    Column("declared_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("organisation_id <> related_organisation_id", name="ck_relationship_not_self"),
    UniqueConstraint("organisation_id", "related_organisation_id", "kind", name="uq_relationship"),
)

# One row per enrolment; a removed enterprise may be enrolled again (a new row with the next ordinal).
pilot_pool_enrolments = Table(
    "pilot_pool_enrolments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("enterprise_id", String(36), ForeignKey("organisations.id"), nullable=False),
    # The enterprise's n-th enrolment: orders its enrol/remove facts (aggregate version 2n-1, 2n).
    Column("ordinal", Integer, nullable=False),
    # The profile as it was checked at enrolment (the facts other services act on).
    Column("uscc", String(18), nullable=False),
    Column("sector", String(50), nullable=False),
    Column("district", String(50), nullable=False),
    Column("size_class", String(20), nullable=False),
    Column("enrolled_on", Date, nullable=False),
    Column("enrolled_by", String(100), nullable=False),
    Column("removed_on", Date),
    Column("removed_by", String(100)),
    Column("removal_reason", String(1000)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("enterprise_id", "ordinal", name="uq_pilot_pool_enrolment_ordinal"),
    # At most one current membership per enterprise, whatever the application code does.
    Index("uq_pilot_pool_enrolment_current", "enterprise_id", unique=True, postgresql_where=text("removed_on IS NULL")),
    Index("ix_pilot_pool_enrolments_district", "district"),
)
