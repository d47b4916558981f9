"""产业生态联合体 (a traction unit's ecosystem partners) and 特色产业集群 (cluster bodies, their clusters and member
enterprises). Revision facts_0001 creates them."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, func, text

from .tables import metadata

# A traction unit declares a provider as a partner; the partner confirms or declines; either side or the city ends it.
ecosystem_memberships = Table(
    "ecosystem_memberships",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("traction_unit_id", String(36), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("partner_id", String(36), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("state", String(20), nullable=False),  # declared, confirmed, declined, ended
    Column("note", String(1000), nullable=False, server_default=""),
    Column("declared_by", String(100), nullable=False),
    Column("declared_on", Date, nullable=False),
    Column("decided_by", String(100)),  # the partner's account that confirmed or declined
    Column("confirmed_on", Date),
    Column("declined_on", Date),
    Column("decline_reason", String(1000)),
    Column("ended_by", String(100)),
    Column("ended_on", Date),
    Column("end_reason", String(1000)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("traction_unit_id <> partner_id", name="ck_ecosystem_not_self"),
    # At most one open (declared or confirmed) membership per pair.
    Index("uq_ecosystem_membership_open", "traction_unit_id", "partner_id", unique=True,
          postgresql_where=text("state IN ('declared', 'confirmed')")),
)

# The cluster a cluster body (特色产业集群相关责任主体) runs: one per body.
clusters = Table(
    "clusters",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cluster_body_id", String(36), ForeignKey("organisations.id"), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("district", String(50), nullable=False, index=True),
    Column("sector", String(50), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# An enterprise recommended by the district as a member of a cluster, approved (or not) by the city, maybe removed.
cluster_members = Table(
    "cluster_members",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("cluster_id", String(36), ForeignKey("clusters.id"), nullable=False, index=True),
    Column("enterprise_id", String(36), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("district", String(50), nullable=False, index=True),
    Column("state", String(20), nullable=False),  # recommended, approved, rejected, removed
    Column("note", String(1000), nullable=False, server_default=""),
    Column("recommended_by", String(100), nullable=False),
    Column("recommended_on", Date, nullable=False),
    Column("decided_by", String(100)),
    Column("approved_on", Date),
    Column("rejected_on", Date),
    Column("rejection_reason", String(1000)),
    Column("removed_by", String(100)),
    Column("removed_on", Date),
    Column("removal_reason", String(1000)),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # At most one open (recommended or approved) membership of an enterprise in a cluster.
    Index("uq_cluster_member_open", "cluster_id", "enterprise_id", unique=True,
          postgresql_where=text("state IN ('recommended', 'approved')")),
)

ALLIANCE_TABLES = (ecosystem_memberships, clusters, cluster_members)
