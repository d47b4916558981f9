"""Alembic environment of the diagnosis service."""

import diagnosis.adapters.assessment_tables  # noqa: F401  (each module registers its tables on the metadata)
import diagnosis.adapters.edition_tables  # noqa: F401
import diagnosis.adapters.project_tables  # noqa: F401
import diagnosis.adapters.readmodels  # noqa: F401
import diagnosis.adapters.report_tables  # noqa: F401
import diagnosis.spec  # noqa: F401  (declares every table the service's modules define on the metadata)
from diagnosis.adapters.tables import metadata
from sihua_shared.alembic_env import run_migrations

run_migrations("diagnosis", metadata)
