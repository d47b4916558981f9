"""Alembic environment of the catalog service."""

from sihua_shared.alembic_env import run_migrations

from catalog.adapters.tables import metadata

run_migrations("catalog", metadata)
