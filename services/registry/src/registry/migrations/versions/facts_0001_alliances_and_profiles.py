"""Facts the next services need (issue 10 §2): an expert's district and declared conflicts, the systems an enterprise
runs, the ecosystem alliances of traction units (产业生态联合体), and cluster bodies with their member enterprises
(特色产业集群).

Revision ID: facts_0001
Revises: sizeclass_0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "facts_0001"
down_revision = "sizeclass_0001"
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    ]


def upgrade() -> None:
    op.add_column("expert_profiles", sa.Column("district", sa.String(length=50), nullable=True))
    op.add_column(
        "expert_profiles",
        sa.Column("declared_conflicts", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
    )
    op.add_column("organisations", sa.Column("systems", postgresql.JSONB(astext_type=sa.Text()), nullable=True))

    op.create_table(
        "ecosystem_memberships",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("traction_unit_id", sa.String(length=36), nullable=False),
        sa.Column("partner_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("declared_by", sa.String(length=100), nullable=False),
        sa.Column("declared_on", sa.Date(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("declined_on", sa.Date(), nullable=True),
        sa.Column("decline_reason", sa.String(length=1000), nullable=True),
        sa.Column("ended_by", sa.String(length=100), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=1000), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("traction_unit_id <> partner_id", name="ck_ecosystem_not_self"),
        sa.ForeignKeyConstraint(["traction_unit_id"], ["organisations.id"]),
        sa.ForeignKeyConstraint(["partner_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_ecosystem_memberships_traction_unit_id"), "ecosystem_memberships", ["traction_unit_id"])
    op.create_index(op.f("ix_ecosystem_memberships_partner_id"), "ecosystem_memberships", ["partner_id"])
    op.create_index(
        "uq_ecosystem_membership_open", "ecosystem_memberships", ["traction_unit_id", "partner_id"], unique=True,
        postgresql_where=sa.text("state IN ('declared', 'confirmed')"),
    )

    op.create_table(
        "clusters",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cluster_body_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=False),
        sa.Column("sector", sa.String(length=50), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(["cluster_body_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cluster_body_id"),
    )
    op.create_index(op.f("ix_clusters_district"), "clusters", ["district"])

    op.create_table(
        "cluster_members",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cluster_id", sa.String(length=36), nullable=False),
        sa.Column("enterprise_id", sa.String(length=36), nullable=False),
        sa.Column("district", sa.String(length=50), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("recommended_by", sa.String(length=100), nullable=False),
        sa.Column("recommended_on", sa.Date(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("rejected_on", sa.Date(), nullable=True),
        sa.Column("rejection_reason", sa.String(length=1000), nullable=True),
        sa.Column("removed_by", sa.String(length=100), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("removal_reason", sa.String(length=1000), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(["cluster_id"], ["clusters.id"]),
        sa.ForeignKeyConstraint(["enterprise_id"], ["organisations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_cluster_members_cluster_id"), "cluster_members", ["cluster_id"])
    op.create_index(op.f("ix_cluster_members_enterprise_id"), "cluster_members", ["enterprise_id"])
    op.create_index(op.f("ix_cluster_members_district"), "cluster_members", ["district"])
    op.create_index(
        "uq_cluster_member_open", "cluster_members", ["cluster_id", "enterprise_id"], unique=True,
        postgresql_where=sa.text("state IN ('recommended', 'approved')"),
    )


def downgrade() -> None:
    op.drop_table("cluster_members")
    op.drop_table("clusters")
    op.drop_table("ecosystem_memberships")
    op.drop_column("organisations", "systems")
    op.drop_column("expert_profiles", "declared_conflicts")
    op.drop_column("expert_profiles", "district")
