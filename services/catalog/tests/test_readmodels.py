"""The read models the catalog keeps beside the registry's end in the same state whatever order the facts arrive
in (redelivery reorders and repeats): the expert pool, relationships, ecosystem partners, verification standing,
the edition in force."""

from __future__ import annotations

from datetime import date
from itertools import permutations

from sqlalchemy import select

from catalog.adapters.readmodels import ecosystem_partners, editions, expert_pool, organisation_standing, relationships
from sihua_shared.contracts import registry as facts
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack
from tests.pipeline.helpers import rows

from .kit import Fact, apply_facts, edition, organisation


def _expert(key: str) -> list[Fact]:
    profile = {"expert_account_id": key, "fields": ["智能制造"]}
    return [
        (facts.EXPERT_PROFILE_SET, facts.ExpertProfileSet(**profile, display_name="李专家", version=1), 1),
        (facts.EXPERT_PROFILE_SET, facts.ExpertProfileSet(**profile, display_name="李专家", organisation_id="o-9",
                                                          version=2), 2),
        (facts.EXPERT_LEFT_POOL, facts.ExpertLeftPool(expert_account_id=key, version=3), 3),
    ]


def _relationship(key: str) -> list[Fact]:
    pair = {"relationship_id": key, "organisation_a_id": "a", "organisation_b_id": "b"}
    return [
        (facts.RELATIONSHIP_DECLARED, facts.RelationshipDeclared(**pair, kind="shareholding", declared_on=date(2026, 1, 1)), 1),
        (facts.RELATIONSHIP_WITHDRAWN, facts.RelationshipWithdrawn(**pair, reason="股权已转让"), 2),
    ]


def _partner(key: str) -> list[Fact]:
    ids = {"membership_id": key, "traction_unit_id": "tu", "partner_id": "p"}
    return [
        (facts.ECOSYSTEM_PARTNER_CONFIRMED, facts.EcosystemPartnerConfirmed(
            **ids, traction_unit_uscc=make_uscc(1), partner_uscc=make_uscc(2), confirmed_on=date(2026, 3, 1)), 1),
        (facts.ECOSYSTEM_PARTNER_ENDED, facts.EcosystemPartnerEnded(**ids, reason="协议到期", ended_on=date(2027, 3, 1)), 2),
    ]


def _standing(key: str) -> list[Fact]:
    registered = organisation(key, "provider", 7, verification="unverified")
    return [
        registered,
        (facts.ORGANISATION_VERIFIED, facts.OrganisationVerified(
            organisation_id=key, uscc=make_uscc(307), kind="provider", verified_by="district_officer",
            verified_on=date(2026, 3, 2), version=2), 2),
    ]


async def test_every_order_of_the_facts_ends_in_the_newest_state(stack: Stack) -> None:
    url = (await stack.settings("catalog")).database_url
    cases = {"expert": _expert, "rel": _relationship, "partner": _partner, "org": _standing}
    for name, facts_of in cases.items():
        for n, order in enumerate(permutations(range(len(facts_of("x"))))):
            key = f"{name}-{n}"
            await apply_facts(url, [facts_of(key)[i] for i in (*order, order[0])])  # the first again: a redelivery
    pool = await rows(url, select(expert_pool))
    assert len(pool) == 6 and {(e.display_name, e.organisation_id, e.active, e.version) for e in pool} == {("李专家", "o-9", False, 3)}
    held = await rows(url, select(relationships))
    assert len(held) == 2 and {(r.kind, r.withdrawn) for r in held} == {("shareholding", True)}
    partners = await rows(url, select(ecosystem_partners))
    assert len(partners) == 2 and {p.ended for p in partners} == {True}
    standing = await rows(url, select(organisation_standing))
    assert len(standing) == 2 and {s.verification for s in standing} == {"verified"}


async def test_the_edition_in_force_is_the_last_activated(stack: Stack) -> None:
    url = (await stack.settings("catalog")).database_url
    await apply_facts(url, [edition()])
    held = await rows(url, select(editions))
    assert [(e.edition_id, e.version_id, [s["scene_id"] for s in e.scenes]) for e in held] == [
        ("2024", "2024@3f2a9c1b0d4e", ["S01", "S05", "S09"])]
