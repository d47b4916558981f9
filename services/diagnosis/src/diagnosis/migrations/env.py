"""Alembic environment of the diagnosis service."""

from sihua_shared.alembic_env import run_migrations

import diagnosis.adapters.project_tables  # noqa: F401  (registers its tables on the metadata)
from diagnosis.adapters.tables import metadata

run_migrations("diagnosis", metadata)
