"""资产总额 (total assets) of an organisation, the third quantity of the 2011 size standard's rows.

Revision ID: sizeclass_0001
Revises: titlerules_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "sizeclass_0001"
down_revision = "titlerules_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("organisations", sa.Column("total_assets_fen", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("organisations", "total_assets_fen")
