"""Alembic environment of the registry service."""

from sihua_shared.alembic_env import run_migrations

from registry.adapters.tables import metadata

run_migrations("registry", metadata)
