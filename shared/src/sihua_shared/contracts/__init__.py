"""Event contracts: payload models owned by their producer, one module per producing service.

``all_specs()`` lists every event type the project knows; contract tests snapshot each payload's schema.
"""

from __future__ import annotations

from ..events import EventSpec
from . import catalog, diagnosis, evaluation, funding, registry

_MODULES = (registry, diagnosis, catalog, funding, evaluation)


def all_specs() -> list[EventSpec]:  # type: ignore[type-arg]
    specs: list[EventSpec] = []  # type: ignore[type-arg]
    for module in _MODULES:
        specs.extend(
            value for value in vars(module).values() if isinstance(value, EventSpec)
        )
    return sorted(specs, key=lambda s: s.type)


def spec_for_type(event_type: str) -> EventSpec | None:  # type: ignore[type-arg]
    for spec in all_specs():
        if spec.type == event_type:
            return spec
    return None
