"""Foundation: outbox, inbox, dead letters, audit, idempotency keys, the organisations read model.

Revision ID: 0001
Revises:
"""

from alembic import op

from sihua_shared.migrations import consumer_foundation_downgrade, consumer_foundation_upgrade

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    consumer_foundation_upgrade(op)


def downgrade() -> None:
    consumer_foundation_downgrade(op)
