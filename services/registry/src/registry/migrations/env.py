"""Alembic environment of the registry service."""

import registry.adapters.account_tables  # noqa: F401  (registers its tables on the metadata)
import registry.adapters.alliance_tables  # noqa: F401
import registry.adapters.call_tables  # noqa: F401
import registry.adapters.external_identity_tables  # noqa: F401
import registry.adapters.file_tables  # noqa: F401
import registry.adapters.notification_tables  # noqa: F401
import registry.adapters.profile_tables  # noqa: F401
import registry.adapters.sign_up_tables  # noqa: F401
import registry.adapters.title_tables  # noqa: F401
import registry.spec  # noqa: F401  (declares every table the service's modules define on the metadata)
from registry.adapters.tables import metadata
from sihua_shared.alembic_env import run_migrations

run_migrations("registry", metadata)
