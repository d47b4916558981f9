"""Alembic environment of the catalog service."""

import catalog.adapters.adoption  # noqa: F401  (funding's projects, beside the catalog's tables)
import catalog.adapters.matching  # noqa: F401  (matching, group purchase, ratings, solutions)
import catalog.adapters.readmodels  # noqa: F401  (declares the registry read models on the metadata)
import catalog.spec  # noqa: F401  (declares every table the service's modules define on the metadata)
from catalog.adapters.tables import metadata
from sihua_shared.alembic_env import run_migrations

run_migrations("catalog", metadata)
