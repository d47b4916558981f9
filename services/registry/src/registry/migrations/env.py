"""Alembic environment of the registry service."""

from sihua_shared.alembic_env import run_migrations

import registry.adapters.file_tables  # noqa: F401  (registers its tables on the metadata)
from registry.adapters.tables import metadata

run_migrations("registry", metadata)
