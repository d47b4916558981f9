"""精准匹配 (S2 三(三)): recommendations of admitted products for an assessed enterprise.

The worker reacts to diagnosis's ``assessment.completed``: an assessment that counts (``counts`` not false: not a
practice assessment of an unverified enterprise; a fact without ``counts`` falls back to ``official_record``)
yields a recommendation set — the listed products that address the
enterprise's weakest scenes and fit its sector, size and systems, ranked and explained (``domain/matching.py``) — and
a ``recommendation.issued`` fact. The newest assessment's set is the current one: a later assessment supersedes the
earlier set (facts arriving out of order are compared by their time). The enterprise sees its recommendations, and
so do the providers it consented to (diagnosis's consent facts, kept in ``consents``) and the officials.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, String, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access import Scope
from sihua_shared.audit import SYSTEM, audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts import diagnosis as diagnosis_facts
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.contracts.catalog import RECOMMENDATION_ISSUED, RecommendationIssued, RecommendedProduct
from sihua_shared.errors import not_found
from sihua_shared.events import CloudEvent
from sihua_shared.outbox import record_event
from sihua_shared.readmodels import VersionedUpsert, fact_version

from ..adapters.matching import adoptions, consents, organisation_systems, recommendation_sets, recommendations
from ..adapters.readmodels import editions, known_organisations
from ..adapters.tables import product_search
from ..domain import access as policy
from ..domain import matching as rules_
from .access import ensure

RULES = rules_.load_rules()

_systems = VersionedUpsert(organisation_systems, "organisation_id", ("systems",))
_consent = VersionedUpsert(consents, "consent_id", ("revoked",), ("enterprise_id", "organisation_id"))


# ---- read models -------------------------------------------------------------------------------------


async def record_systems(session: AsyncSession, envelope: CloudEvent, payload: registry_facts.OrganisationUpdated) -> None:
    await _systems.apply(session, {"organisation_id": payload.organisation_id,
                                   "systems": list(rules_.normalise_systems(payload.systems))}, fact_version(envelope, payload))


async def record_consent(session: AsyncSession, envelope: CloudEvent, payload: diagnosis_facts.ConsentGranted) -> None:
    values = {"consent_id": payload.consent_id, "enterprise_id": payload.enterprise_id,
              "organisation_id": payload.organisation_id, "revoked": False}
    await _consent.apply(session, values, 1)


async def record_consent_revoked(session: AsyncSession, envelope: CloudEvent, payload: diagnosis_facts.ConsentRevoked) -> None:
    values = {"consent_id": payload.consent_id, "enterprise_id": payload.enterprise_id,
              "organisation_id": payload.organisation_id, "revoked": True}
    await _consent.apply(session, values, 2)  # a revocation is final


# ---- issuing -----------------------------------------------------------------------------------------


async def _enterprise(session: AsyncSession, enterprise_id: str) -> rules_.Enterprise:
    o = known_organisations.c
    row = (await session.execute(select(o.sector, o.size_class).where(o.organisation_id == enterprise_id))).first()
    systems = (await session.execute(select(organisation_systems.c.systems).where(
        organisation_systems.c.organisation_id == enterprise_id))).scalar_one_or_none()
    return rules_.Enterprise(row.sector if row else None, row.size_class if row else None, tuple(systems or ()))


async def candidates(session: AsyncSession, enterprise: rules_.Enterprise, weakest: list[str]) -> list[rules_.Candidate]:
    """Listed products addressing a weakest scene and naming the sector (or none), within the size's budget; each
    with its adopters in the enterprise's sector."""
    s = product_search.c
    adopters = (select(adoptions.c.product_id, func.count(func.distinct(adoptions.c.enterprise_id)).label("n"))
                .where(adoptions.c.sector == enterprise.sector).group_by(adoptions.c.product_id).subquery())
    query = (select(s.product_id, s.version, s.catalogue_number, s.name, s.scenes, s.sectors, s.verified_with,
                    s.min_price_fen, func.coalesce(adopters.c.n, 0).label("adopters"))
             .outerjoin(adopters, adopters.c.product_id == s.product_id)
             .where(s.scenes.overlap(cast(weakest, ARRAY(String)))))
    if enterprise.sector:
        query = query.where(or_(func.cardinality(s.sectors) == 0, s.sectors.contains(cast([enterprise.sector], ARRAY(String)))))
    budget = RULES.budget(enterprise.size_class)
    if budget is not None:
        query = query.where(or_(s.min_price_fen.is_(None), s.min_price_fen <= budget))
    return [rules_.Candidate(r.product_id, r.version, r.catalogue_number, r.name, tuple(r.scenes), tuple(r.sectors),
                             tuple(r.verified_with), r.min_price_fen, r.adopters) for r in await session.execute(query)]


def counts(payload: diagnosis_facts.AssessmentCompleted) -> bool:
    """Whether an assessment is a basis for matching: diagnosis says so in ``counts`` (false for a practice assessment
    of an unverified or rejected enterprise); facts from before that field say it through ``official_record``."""
    return payload.counts if payload.counts is not None else payload.official_record is not False


async def on_assessment_completed(session: AsyncSession, envelope: CloudEvent,
                                  payload: diagnosis_facts.AssessmentCompleted) -> None:
    if not counts(payload):  # a practice assessment: never a basis for matching (issue 10 §1's table)
        return
    exists = (await session.execute(select(recommendation_sets.c.id).where(
        recommendation_sets.c.assessment_id == payload.assessment_id))).first()
    if exists:
        return
    edition = (await session.execute(select(editions.c.scenes).where(editions.c.edition_id == payload.edition_id))).scalar()
    scenes = {s["scene_id"]: s for s in edition or []}
    constrained = {sid for sid, s in scenes.items() if s.get("constrained")}
    enterprise = await _enterprise(session, payload.enterprise_id)
    weakest = list(payload.weakest_scenes)
    matches = rules_.rank(await candidates(session, enterprise, weakest), enterprise, weakest, constrained, RULES) \
        if weakest else []
    names = {sid: s["name"] for sid, s in scenes.items()}
    assessed_at = datetime.fromisoformat(envelope.time.replace("Z", "+00:00"))
    r = recommendation_sets.c
    current = (await session.execute(select(r.id, r.assessed_at).where(
        r.enterprise_id == payload.enterprise_id, r.superseded_by.is_(None)).with_for_update())).first()
    set_id = str(uuid.uuid4())
    newest = current is None or current.assessed_at <= assessed_at
    await session.execute(recommendation_sets.insert().values(
        id=set_id, assessment_id=payload.assessment_id, enterprise_id=payload.enterprise_id, edition_id=payload.edition_id,
        stage=payload.stage, level=payload.level, weakest_scenes=weakest, rules=RULES.version, assessed_at=assessed_at,
        superseded_by=None if newest else current.id))  # type: ignore[union-attr]
    items = []
    for rank, m in enumerate(matches, start=1):
        c = m.candidate
        explanation = rules_.explain(m, scene_names=names, scene_levels=payload.scene_levels, level=payload.level,
                                     gap=payload.next_level_gap, sector_name=None)
        await session.execute(recommendations.insert().values(
            set_id=set_id, rank=rank, product_id=c.product_id, product_version=c.version,
            catalogue_number=c.catalogue_number, name=c.name, scenes=list(m.scenes), constrained_scenes=list(m.constrained),
            systems=list(m.systems), sector_adopters=c.sector_adopters, min_price_fen=c.min_price_fen,
            explanation=explanation))
        items.append(RecommendedProduct(rank=rank, product_id=c.product_id, version=c.version,
                                        catalogue_number=c.catalogue_number, scenes=list(m.scenes), explanation=explanation))
    if not newest:  # an older assessment arriving late: kept, superseded already, nothing announced
        return
    if current is not None:
        await session.execute(update(recommendation_sets).where(r.id == current.id).values(superseded_by=set_id))
    await record_event(session, RECOMMENDATION_ISSUED, RecommendationIssued(
        recommendation_set_id=set_id, assessment_id=payload.assessment_id, enterprise_id=payload.enterprise_id,
        edition_id=payload.edition_id, level=payload.level, weakest_scenes=weakest, items=items,
        supersedes=current.id if current else None, rules=RULES.version, issued_on=business_clock(session).today()),
        subject=payload.enterprise_id)
    await audit(session, SYSTEM, "recommendation.issue", "recommendation_set", set_id,
                before={"current": current.id} if current else None,
                after={"assessment_id": payload.assessment_id, "products": [i.product_id for i in items]})


# ---- reading -----------------------------------------------------------------------------------------


async def enterprise_resource(session: AsyncSession, enterprise_id: str) -> dict[str, Any]:
    district = (await session.execute(select(known_organisations.c.district).where(
        known_organisations.c.organisation_id == enterprise_id))).scalar_one_or_none()
    consented = (await session.execute(select(consents.c.organisation_id).where(
        consents.c.enterprise_id == enterprise_id, consents.c.revoked.is_(False)))).scalars().all()
    return {policy.ORGANISATION: enterprise_id, policy.DISTRICT: district, policy.CONSENTED: list(consented)}


async def current_recommendations(session: AsyncSession, actor: Actor, enterprise_id: str) -> dict[str, Any]:
    scope: Scope = policy.recommendations(actor)
    ensure(scope, await enterprise_resource(session, enterprise_id), not_found("recommendations", enterprise_id))
    r = recommendation_sets.c
    row = (await session.execute(select(recommendation_sets).where(
        r.enterprise_id == enterprise_id, r.superseded_by.is_(None)))).mappings().first()
    if row is None:
        raise not_found("recommendations", enterprise_id)
    items = (await session.execute(select(recommendations).where(recommendations.c.set_id == row["id"])
                                   .order_by(recommendations.c.rank))).mappings().all()
    return dict(row) | {"items": [dict(i) for i in items]}
