"""Notifications and reminders.

Revision ID: 0006
Revises: 0001
"""

from alembic import op

from registry.adapters.notification_tables import notifications, reminders

revision = "0006"
down_revision = "0001"
branch_labels = ("notifications",)
depends_on = None


def upgrade() -> None:
    notifications.create(op.get_bind())
    reminders.create(op.get_bind())


def downgrade() -> None:
    reminders.drop(op.get_bind())
    notifications.drop(op.get_bind())
