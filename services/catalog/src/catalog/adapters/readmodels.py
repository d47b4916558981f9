"""The registry's facts as the catalog service keeps them: organisations, titles and the pilot pool.

Its own tables on its own metadata, created by its own history (revisions 0001 and 0002); the shared
library supplies only their shape and the order-safe reactions.
"""

from sihua_shared.readmodels import RegistryReadModels

from .tables import metadata

REGISTRY_FACTS = RegistryReadModels(metadata)
known_organisations = REGISTRY_FACTS.organisations
known_titles = REGISTRY_FACTS.titles
pilot_pool = REGISTRY_FACTS.pilot_pool
