"""One title per application: a unique index on ``titles.application_id`` (titles granted directly have none).

Revision ID: titlerules_0001
Revises: delivery_0001
"""

from alembic import op

revision = "titlerules_0001"
down_revision = "delivery_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("uq_titles_application_id", "titles", ["application_id"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_titles_application_id", table_name="titles")
