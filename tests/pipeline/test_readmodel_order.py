"""The registry read models reach the same state whatever order the facts arrive in, and a repeated fact
changes nothing: every order of each aggregate's facts (redelivery reorders) against a real database."""

from __future__ import annotations

from datetime import date
from itertools import permutations
from typing import Any

from sqlalchemy import select

from catalog.adapters.readmodels import REGISTRY_FACTS, known_organisations, known_titles, pilot_pool
from sihua_shared.contracts import registry as facts
from sihua_shared.db import create_engine, session_factory
from sihua_shared.events import CloudEvent
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack

from .helpers import rows

USCC = make_uscc(7)


def _envelope(version: int) -> CloudEvent:
    return CloudEvent(id=f"e{version}", source="/sihua/registry", type="t", time="2026-01-01T00:00:00Z",
                      aggregateversion=version)


def _organisation_facts(key: str) -> list[tuple[Any, Any, int]]:
    profile = {"organisation_id": key, "uscc": USCC, "kind": "enterprise"}
    return [
        (REGISTRY_FACTS.record_organisation, facts.OrganisationRegistered(**profile, name="一", district="huangpu"), 1),
        (REGISTRY_FACTS.record_organisation, facts.OrganisationUpdated(**profile, name="二", district="tianhe", version=2), 2),
        (REGISTRY_FACTS.record_organisation, facts.OrganisationUpdated(**profile, name="三", district=None, version=3), 3),
    ]


def _title_facts(key: str) -> list[tuple[Any, Any, int]]:
    identity = {"title_id": key, "title_number": f"N-{key}", "kind": "key_platform", "organisation_id": "o", "uscc": USCC}
    granted = facts.TitleGranted(**identity, name_zh="广州市四化赋能重点平台", valid_from=date(2026, 4, 1), valid_until=date(2028, 3, 31))
    revoked = facts.TitleRevoked(**identity, reason="年度评价不合格", revoked_on=date(2027, 4, 15), revoked_by="evaluation")
    return [(REGISTRY_FACTS.record_title_granted, granted, 1), (REGISTRY_FACTS.record_title_revoked, revoked, 2)]


def _pilot_facts(key: str) -> list[tuple[Any, Any, int]]:
    member = {"enterprise_id": key, "uscc": USCC}
    joined = {"sector": "custom_furniture", "district": "baiyun", "size_class": "small"}
    return [
        (REGISTRY_FACTS.record_enrolment, facts.EnterpriseEnrolled(**member, **joined, enrolled_on=date(2026, 2, 10)), 1),
        (REGISTRY_FACTS.record_removal, facts.EnterpriseRemoved(**member, reason="退出", removed_on=date(2026, 8, 1)), 2),
        (REGISTRY_FACTS.record_enrolment, facts.EnterpriseEnrolled(**member, **{**joined, "district": "huadu"},
                                                             enrolled_on=date(2026, 9, 1)), 3),
    ]


async def test_every_order_of_the_facts_ends_in_the_newest_state(stack: Stack) -> None:
    url = (await stack.settings("catalog")).database_url
    engine = create_engine(url)
    cases = {"org": _organisation_facts, "title": _title_facts, "pilot": _pilot_facts}
    async with session_factory(engine)() as session, session.begin():
        for name, facts_of in cases.items():
            for n, order in enumerate(permutations(range(len(facts_of("x"))))):
                key = f"{name}-{n}"
                for index in (*order, order[0]):  # the first fact again at the end: a redelivery
                    handler, payload, version = facts_of(key)[index]
                    await handler(session, _envelope(version), payload)
    await engine.dispose()

    organisations = await rows(url, select(known_organisations))
    assert {(o.name, o.district, o.version, o.facts_applied) for o in organisations} == {("三", None, 3, 4)}
    assert len(organisations) == 6
    titles = await rows(url, select(known_titles))
    # a late grant fills in the name and validity and leaves the revocation standing
    assert {(t.name_zh, t.valid_until, t.revoked_on, t.revocation_reason, t.version) for t in titles} == {
        ("广州市四化赋能重点平台", date(2028, 3, 31), date(2027, 4, 15), "年度评价不合格", 2)
    }
    assert len(titles) == 2
    pool = await rows(url, select(pilot_pool))
    # a late removal of the first enrolment does not take the enterprise out again
    assert {(p.district, p.enrolled_on, p.removed_on, p.version) for p in pool} == {("huadu", date(2026, 9, 1), None, 3)}
    assert len(pool) == 6
