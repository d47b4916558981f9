"""Alembic environment of the funding service."""

import funding.adapters.funding_tables  # noqa: F401  (policies, applications, the ledger, facts kept)
import funding.adapters.readmodels  # noqa: F401  (declares the registry read models on the metadata)
from funding.adapters.tables import metadata
from sihua_shared.alembic_env import run_migrations

run_migrations("funding", metadata)
