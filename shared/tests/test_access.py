"""Scopes, the building block of the services' access policies: one rule decides a single resource (``admits``)
and filters a list in SQL (``access_sql.where``), and the two agree — checked over real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import column, select, values
from sqlalchemy.types import String

from sihua_shared.access import EVERYTHING, NOTHING, Scope, assigned, in_charge, overseen, own
from sihua_shared.access_sql import where
from sihua_shared.actor import Actor
from sihua_shared.db import create_engine
from sihua_shared.testing.harness import Stack


def actor(*roles: str, org: str | None = None, district: str | None = None, sub: str = "me") -> Actor:
    return Actor(id=sub, org=org, roles=frozenset(roles), district=district)


ENTERPRISE, CITY, AUDITOR = actor("enterprise", org="org-a"), actor("city_officer"), actor("auditor")
HUANGPU, UNBOUND = actor("district_officer", district="huangpu"), actor("district_officer")
EXPERT, NO_ORG = actor("expert", sub="x1"), actor("enterprise")

# (rule, actor, resource, admitted) — handbook §6: own data only; a district officer their district; an expert
# what is assigned to them; city officers and auditors everything.
CASES = [
    (own, ENTERPRISE, {"organisation": "org-a"}, True),
    (own, ENTERPRISE, {"organisation": "org-b"}, False),
    (own, NO_ORG, {"organisation": None}, False),  # an account bound to no organisation owns nothing
    (overseen, HUANGPU, {"district": "huangpu"}, True),
    (overseen, HUANGPU, {"district": "tianhe"}, False),
    (overseen, UNBOUND, {"district": None}, False),  # nor does one bound to no district oversee a district-less one
    (overseen, CITY, {"district": "tianhe"}, True),
    (overseen, AUDITOR, {}, True),
    (overseen, ENTERPRISE, {"district": "huangpu"}, False),
    (in_charge, AUDITOR, {"district": "huangpu"}, False),  # auditors read, they do not act
    (in_charge, CITY, {"district": "huangpu"}, True),
    (assigned, EXPERT, {"assigned": ["x1", "x2"]}, True),
    (assigned, EXPERT, {"assigned": ["x2"]}, False),
    (assigned, ENTERPRISE, {"assigned": ["me"]}, False),  # only the role the assignment is for
]


@pytest.mark.parametrize(("rule", "who", "resource", "admitted"), CASES)
def test_a_scope_decides_one_resource(rule, who, resource, admitted) -> None:  # type: ignore[no-untyped-def]
    assert rule(who).admits(resource) is admitted


def test_scopes_combine_as_a_union() -> None:
    both = actor("enterprise", "district_officer", org="org-a", district="huangpu")
    scope = own(both) | overseen(both)
    assert scope.admits({"organisation": "org-a", "district": "tianhe"})
    assert scope.admits({"organisation": "org-b", "district": "huangpu"})
    assert not scope.admits({"organisation": "org-b", "district": "tianhe"})
    assert (EVERYTHING | NOTHING).everything and NOTHING.nothing and not Scope.where(district=None).clauses


ROWS = [("r1", "org-a", "huangpu"), ("r2", "org-b", "huangpu"), ("r3", "org-b", "tianhe"), ("r4", "org-a", None)]


async def test_the_sql_condition_admits_the_rows_the_scope_admits(stack: Stack) -> None:
    table = values(column("id", String), column("organisation", String), column("district", String), name="resources").data(ROWS)
    columns = {"organisation": table.c.organisation, "district": table.c.district}
    engine = create_engine((await stack.settings("registry")).database_url)
    try:
        async with engine.connect() as conn:
            for who in (ENTERPRISE, CITY, HUANGPU, UNBOUND, NO_ORG, actor("enterprise", "district_officer", org="org-a",
                                                                        district="tianhe")):
                scope = own(who) | overseen(who)
                found = {r.id for r in await conn.execute(select(table.c.id).where(where(scope, columns)))}
                expected = {i for i, org, district in ROWS if scope.admits({"organisation": org, "district": district})}
                assert found == expected, (who, found, expected)
    finally:
        await engine.dispose()
