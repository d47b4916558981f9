"""Organisation profile: size-class inputs on organisations, declared relationships, the pilot pool.

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from registry.adapters.profile_tables import organisation_relationships, pilot_enrolments

revision = "0003"
down_revision = "0001"
branch_labels = ("organisation_profile",)
depends_on = None

_TABLES = (organisation_relationships, pilot_enrolments)


def upgrade() -> None:
    op.add_column("organisations", sa.Column("employees", sa.Integer))
    op.add_column("organisations", sa.Column("revenue_fen", sa.BigInteger))
    op.add_column("organisations", sa.Column("size_class_basis", JSONB))
    op.create_index("ix_organisations_district", "organisations", ["district"])
    op.create_index("ix_organisations_kind", "organisations", ["kind"])
    bind = op.get_bind()
    for table in _TABLES:
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(_TABLES):
        table.drop(bind)
    op.drop_index("ix_organisations_kind", "organisations")
    op.drop_index("ix_organisations_district", "organisations")
    for column in ("size_class_basis", "revenue_fen", "employees"):
        op.drop_column("organisations", column)
