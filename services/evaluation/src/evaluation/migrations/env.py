"""Alembic environment of the evaluation service."""

from sihua_shared.alembic_env import run_migrations

from evaluation.adapters.tables import metadata

run_migrations("evaluation", metadata)
