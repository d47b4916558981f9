"""Accounts, agency client credentials, refresh and password-reset tokens, login throttling.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

from registry.adapters.account_tables import (
    accounts,
    api_clients,
    login_failures_by_address,
    password_reset_tokens,
    refresh_tokens,
)

revision = "0002"
down_revision = "0001"
branch_labels = ("accounts",)
depends_on = None

_TABLES = (accounts, api_clients, refresh_tokens, password_reset_tokens, login_failures_by_address)


def upgrade() -> None:
    bind = op.get_bind()
    for table in _TABLES:
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in reversed(_TABLES):
        table.drop(bind)
