"""The activation count of an edition id (aggregate version of ``edition activated``) and a project's agreed fee.

Revision ID: 0005
Revises: delivery_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "delivery_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("active_editions", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.add_column("diagnosis_projects", sa.Column("fee_fen", sa.BigInteger(), nullable=True))
    op.create_check_constraint("ck_diagnosis_project_fee", "diagnosis_projects", "fee_fen BETWEEN 0 AND 20000000")


def downgrade() -> None:
    op.drop_constraint("ck_diagnosis_project_fee", "diagnosis_projects", type_="check")
    op.drop_column("diagnosis_projects", "fee_fen")
    op.drop_column("active_editions", "version")
