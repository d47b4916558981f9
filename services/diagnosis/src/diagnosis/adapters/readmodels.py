"""The registry's facts the diagnosis service keeps (its tables, its revision 0002; the shared library's mechanism),
and the verification status of each organisation (revision practice_0001), which decides whether its self-assessments
count or are practice."""

from sqlalchemy import Column, DateTime, Integer, String, Table, func

from sihua_shared.readmodels import RegistryReadModels

from .tables import metadata

REGISTRY_FACTS = RegistryReadModels(metadata)
known_organisations = REGISTRY_FACTS.organisations
known_titles = REGISTRY_FACTS.titles
pilot_pool = REGISTRY_FACTS.pilot_pool

# From organisation.registered / updated (their ``verification``: none means verified) and organisation.verified /
# rejected; the newest fact wins (``version`` is the organisation's aggregate version).
organisation_verification = Table(
    "organisation_verification",
    metadata,
    Column("organisation_id", String(100), primary_key=True),
    Column("verification", String(20), nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
