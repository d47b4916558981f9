"""Alembic environment of the catalog service."""

from catalog.adapters.tables import metadata
from sihua_shared.alembic_env import run_migrations

run_migrations("catalog", metadata)
