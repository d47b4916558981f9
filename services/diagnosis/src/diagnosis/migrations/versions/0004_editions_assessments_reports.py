"""Editions as data, assessments, consents, evidence, reports and transformation plans.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from diagnosis.adapters.assessment_tables import assessments, consents, evidence
from diagnosis.adapters.edition_tables import active_editions, editions
from diagnosis.adapters.report_tables import project_plans, reports

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = (editions, active_editions, assessments, consents, evidence, reports, project_plans)


def upgrade() -> None:
    for table in TABLES:
        table.create(op.get_bind())


def downgrade() -> None:
    for table in reversed(TABLES):
        table.drop(op.get_bind())
