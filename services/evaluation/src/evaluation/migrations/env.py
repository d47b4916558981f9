"""Alembic environment of the evaluation service."""

import evaluation.adapters.readmodels  # noqa: F401  (declares the registry read models on the metadata)
from evaluation.adapters.tables import metadata
from sihua_shared.alembic_env import run_migrations

run_migrations("evaluation", metadata)
