"""Alembic environment of the evaluation service."""

from evaluation.adapters.tables import metadata
from sihua_shared.alembic_env import run_migrations

run_migrations("evaluation", metadata)
