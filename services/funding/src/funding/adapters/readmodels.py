"""The registry's facts the funding service keeps (its tables, its revision 0002; the shared library's mechanism)."""

from sihua_shared.readmodels import RegistryReadModels

from .tables import metadata

REGISTRY_FACTS = RegistryReadModels(metadata)
known_organisations = REGISTRY_FACTS.organisations
known_titles = REGISTRY_FACTS.titles
pilot_pool = REGISTRY_FACTS.pilot_pool
