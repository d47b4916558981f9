"""The registry's facts as this service keeps them: organisations, titles, the pilot pool.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from sihua_shared.readmodels import registry_readmodels_v1, registry_readmodels_v1_downgrade

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    registry_readmodels_v1(op)


def downgrade() -> None:
    registry_readmodels_v1_downgrade(op)
