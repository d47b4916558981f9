"""Alembic environment of the funding service."""

import funding.adapters.budget_tables  # noqa: F401  (budgets and their movements)
import funding.adapters.funding_tables  # noqa: F401  (policies, applications, the ledger, facts kept)
import funding.adapters.group_purchase_tables  # noqa: F401  (catalog's group purchases, S2 四(二)3)
import funding.adapters.payment_tables  # noqa: F401  (payment orders, claw-backs)
import funding.adapters.project_tables  # noqa: F401  (transformation projects, the catalogue versions)
import funding.adapters.readmodels  # noqa: F401  (declares the registry read models on the metadata)
import funding.spec  # noqa: F401  (declares every table the service's modules define on the metadata)
from funding.adapters.tables import metadata
from sihua_shared.alembic_env import run_migrations

run_migrations("funding", metadata)
