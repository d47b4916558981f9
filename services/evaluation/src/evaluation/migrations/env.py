"""Alembic environment of the evaluation service."""

import evaluation.adapters.eval_tables  # noqa: F401  (each module registers its tables on the metadata)
import evaluation.adapters.readmodels  # noqa: F401
import evaluation.spec  # noqa: F401  (declares every table the service's modules define on the metadata)
from evaluation.adapters.tables import metadata
from sihua_shared.alembic_env import run_migrations

run_migrations("evaluation", metadata)
