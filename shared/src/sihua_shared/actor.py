"""Who is calling, framework-free: the roles of handbook §6 and the verified claims of a bearer token.

Kept apart from ``auth`` (which needs FastAPI) so that the services' access policies, which are domain code,
can reason about an actor without importing a framework.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

# A Literal, so that the OpenAPI documents list the roles as an enumeration.
Role = Literal[
    "enterprise",
    "provider",
    "expert",
    "district_officer",
    "city_officer",
    "third_party",
    "cluster_body",
    "finance",
    "auditor",
    "service",
]
ROLES: tuple[str, ...] = get_args(Role)
OFFICIALS = ("district_officer", "city_officer")


@dataclass(frozen=True)
class Actor:
    """Who is calling: the verified claims of the bearer token."""

    id: str
    org: str | None
    roles: frozenset[str]
    district: str | None = None
    claims: dict[str, Any] = field(default_factory=dict, compare=False)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def is_city(self) -> bool:
        return "city_officer" in self.roles

