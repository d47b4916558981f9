"""Alembic environment of the funding service."""

from sihua_shared.alembic_env import run_migrations

from funding.adapters.tables import metadata

run_migrations("funding", metadata)
