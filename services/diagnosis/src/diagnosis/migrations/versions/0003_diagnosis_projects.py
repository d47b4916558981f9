"""Diagnosis projects.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from diagnosis.adapters.project_tables import diagnosis_projects

revision = "0003"
down_revision = "0002"
branch_labels = ("diagnosis_projects",)
depends_on = None


def upgrade() -> None:
    diagnosis_projects.create(op.get_bind())


def downgrade() -> None:
    diagnosis_projects.drop(op.get_bind())
