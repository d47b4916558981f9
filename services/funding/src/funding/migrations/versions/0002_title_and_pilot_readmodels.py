"""Read models of the registry's titles and pilot pool.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from sihua_shared.readmodels import create_title_and_pilot_readmodels, drop_title_and_pilot_readmodels

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_title_and_pilot_readmodels(op)


def downgrade() -> None:
    drop_title_and_pilot_readmodels(op)
