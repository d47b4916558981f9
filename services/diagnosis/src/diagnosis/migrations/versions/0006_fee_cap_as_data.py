"""The diagnosis fee cap moves to jurisdiction data (Guangzhou: 20万元, S0 三(三)); the column keeps only fee ≥ 0.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("ck_diagnosis_project_fee", "diagnosis_projects", type_="check")
    op.create_check_constraint("ck_diagnosis_project_fee", "diagnosis_projects", "fee_fen >= 0")


def downgrade() -> None:
    op.drop_constraint("ck_diagnosis_project_fee", "diagnosis_projects", type_="check")
    op.create_check_constraint("ck_diagnosis_project_fee", "diagnosis_projects", "fee_fen BETWEEN 0 AND 20000000")
