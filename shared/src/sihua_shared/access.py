"""The building block of the services' access policies, framework-free: a ``Scope``.

A policy answers, for an actor, which resources of one kind they may see or act on, as a scope: a union of
clauses, each clause a set of attribute conditions that must all hold ("organisation is mine", "district is
mine and state is submitted", "I am among the assigned experts"). The same scope decides a single resource
(``admits``, over a description of that resource) and filters a list in SQL (``access_sql.where``, over a
mapping of the same attributes to columns), so a list never shows what a read would refuse.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .actor import Actor

Clause = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Scope:
    clauses: tuple[Clause, ...] = ()

    @staticmethod
    def where(**conditions: Any) -> Scope:
        """One clause; a condition on ``None`` (an actor bound to no organisation or district) admits nothing."""
        if any(value is None for value in conditions.values()):
            return NOTHING
        return Scope((tuple(sorted(conditions.items())),))

    def __or__(self, other: Scope) -> Scope:
        return Scope(self.clauses + other.clauses)

    @property
    def everything(self) -> bool:
        return any(not clause for clause in self.clauses)

    @property
    def nothing(self) -> bool:
        return not self.clauses

    def admits(self, resource: Mapping[str, Any]) -> bool:
        """Whether the resource (its attributes; a collection-valued one holds any of its members) is in scope."""
        return any(all(_holds(resource.get(name), value) for name, value in clause) for clause in self.clauses)


def _holds(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, Collection) and not isinstance(actual, str):
        return wanted in actual
    return actual is not None and actual == wanted


EVERYTHING = Scope(((),))
NOTHING = Scope()


def any_of(*scopes: Scope) -> Scope:
    result = NOTHING
    for scope in scopes:
        result = result | scope
    return result


# The rules every service's policy starts from (handbook §6: an enterprise sees its own data only; a district
# officer their district; city officers and auditors the whole city).
SEE_ALL = ("city_officer", "auditor")


def overseen(actor: Actor, see_all: tuple[str, ...] = SEE_ALL) -> Scope:
    """What officials oversee: everything for ``see_all`` roles, their district for a district officer (an
    account bound to no district oversees nothing)."""
    if actor.has(*see_all):
        return EVERYTHING
    if actor.has("district_officer"):
        return Scope.where(district=actor.district)
    return NOTHING


def in_charge(actor: Actor) -> Scope:
    """Where an actor acts as the government: the city everywhere, a district officer in their district."""
    return overseen(actor, ("city_officer",))


def own(actor: Actor, *roles: str) -> Scope:
    """The actor's own organisation's resources (when the actor holds one of ``roles``, if any are named)."""
    if roles and not actor.has(*roles):
        return NOTHING
    return Scope.where(organisation=actor.org)


def assigned(actor: Actor, role: str = "expert") -> Scope:
    """Resources assigned to the actor in person (an expert's panels, say)."""
    return Scope.where(assigned=actor.id) if actor.has(role) else NOTHING
