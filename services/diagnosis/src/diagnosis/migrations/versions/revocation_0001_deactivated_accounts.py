"""The read model of the accounts the registry deactivated (sihua_shared.revocation).

Revision ID: revocation_0001
Revises: 0004
"""

from alembic import op

from sihua_shared.revocation import create_deactivated_accounts_v1, drop_deactivated_accounts_v1

revision = "revocation_0001"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_deactivated_accounts_v1(op)


def downgrade() -> None:
    drop_deactivated_accounts_v1(op)
