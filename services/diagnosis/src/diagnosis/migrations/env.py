"""Alembic environment of the diagnosis service."""

from sihua_shared.alembic_env import run_migrations

from diagnosis.adapters.tables import metadata

run_migrations("diagnosis", metadata)
