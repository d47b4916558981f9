"""Tables of the catalog service (beside the common ones; the registry read models are in readmodels.py)."""

from sqlalchemy import MetaData

from sihua_shared.revocation import deactivated_accounts_table

metadata = MetaData()

# The accounts the registry deactivated, kept by this service's reaction (spec.py): its api refuses their tokens.
deactivated_accounts = deactivated_accounts_table(metadata)
