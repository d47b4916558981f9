"""Alembic environment of the funding service."""

from funding.adapters.tables import metadata
from sihua_shared.alembic_env import run_migrations

run_migrations("funding", metadata)
