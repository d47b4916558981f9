"""The facts funding keeps from other services, and the facts an application's computation relies on.

Reactions (idempotent through the inbox; each keyed by the fact's own identity, so a redelivery rewrites the same
row): diagnosis's project completed (the fee paid under S0 三(三)) and assessment completed (the post-transformation
level, S2 四(一)1); evaluation's tier assigned (S2 四(二)2); catalog's group purchases opened, enrolled, closed and
delivered (S2 四(二)3's graded district award). The registry's organisations and titles are read models
(``adapters.readmodels``); a title's kind is a string (the jurisdiction's code).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, String, bindparam, distinct, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.consumer import Reaction, Subscription
from sihua_shared.contracts.catalog import (
    GROUP_PURCHASE_CLOSED,
    GROUP_PURCHASE_DELIVERED,
    GROUP_PURCHASE_ENROLLED,
    GROUP_PURCHASE_OPENED,
    GroupPurchaseClosed,
    GroupPurchaseDelivered,
    GroupPurchaseEnrolled,
    GroupPurchaseOpened,
)
from sihua_shared.contracts.diagnosis import (
    ASSESSMENT_COMPLETED,
    DIAGNOSIS_PROJECT_COMPLETED,
    AssessmentCompleted,
    DiagnosisProjectCompleted,
)
from sihua_shared.contracts.evaluation import TIER_ASSIGNED, TierAssigned
from sihua_shared.events import CloudEvent

from ..adapters.funding_tables import diagnosis_completions, levels, tiers
from ..adapters.group_purchase_tables import group_purchase_deliveries, group_purchase_enrolments, group_purchases
from ..adapters.readmodels import known_organisations, known_titles, pilot_pool


async def record_diagnosis_completed(session: AsyncSession, envelope: CloudEvent, payload: DiagnosisProjectCompleted) -> None:
    values = {"project_id": payload.project_id, "enterprise_id": payload.enterprise_id, "provider_id": payload.provider_id,
              "completed_on": payload.completed_on, "fee_fen": payload.fee_fen, "level": payload.level}
    await session.execute(pg_insert(diagnosis_completions).values(**values).on_conflict_do_update(
        index_elements=["project_id"], set_=values))


async def record_assessment_completed(session: AsyncSession, envelope: CloudEvent, payload: AssessmentCompleted) -> None:
    values = {"assessment_id": payload.assessment_id, "enterprise_id": payload.enterprise_id, "stage": payload.stage,
              "level": payload.level, "official": payload.official_record is not False}
    await session.execute(pg_insert(levels).values(**values).on_conflict_do_update(index_elements=["assessment_id"], set_=values))


async def record_tier(session: AsyncSession, envelope: CloudEvent, payload: TierAssigned) -> None:
    values = {"cycle_id": payload.cycle_id, "provider_id": payload.provider_id, "year": payload.year, "tier": payload.tier,
              "model_version": payload.model_version}
    await session.execute(pg_insert(tiers).values(**values).on_conflict_do_update(
        index_elements=["cycle_id", "provider_id"], set_=values))


async def _purchase(session: AsyncSession, payload: GroupPurchaseOpened | GroupPurchaseClosed, **values: Any) -> None:
    """A purchase's row: each fact fills its own columns (a closing seen before the opening still lands)."""
    keys = {"group_purchase_id": payload.group_purchase_id, "cluster_body_id": payload.cluster_body_id,
            "product_id": payload.product_id, "version": payload.version}
    await session.execute(pg_insert(group_purchases).values(**keys, **values).on_conflict_do_update(
        index_elements=["group_purchase_id"], set_=values))


async def record_group_purchase_opened(session: AsyncSession, envelope: CloudEvent, payload: GroupPurchaseOpened) -> None:
    await _purchase(session, payload, package_code=payload.package_code, catalogue_price_fen=payload.catalogue_price_fen,
                    price_fen=payload.price_fen, places=payload.places, opens_on=payload.opens_on, closes_on=payload.closes_on)


async def record_group_purchase_closed(session: AsyncSession, envelope: CloudEvent, payload: GroupPurchaseClosed) -> None:
    await _purchase(session, payload, enrolled=payload.enrolled, closed_on=payload.closed_on)


async def record_group_purchase_enrolled(session: AsyncSession, envelope: CloudEvent, payload: GroupPurchaseEnrolled) -> None:
    values = {"cluster_body_id": payload.cluster_body_id, "price_fen": payload.price_fen, "places_taken": payload.places_taken,
              "enrolled_on": payload.enrolled_on}
    await session.execute(pg_insert(group_purchase_enrolments).values(
        group_purchase_id=payload.group_purchase_id, enterprise_id=payload.enterprise_id, **values).on_conflict_do_update(
        index_elements=["group_purchase_id", "enterprise_id"], set_=values))


async def record_group_purchase_delivered(session: AsyncSession, envelope: CloudEvent, payload: GroupPurchaseDelivered) -> None:
    values = {"cluster_body_id": payload.cluster_body_id, "product_id": payload.product_id, "version": payload.version,
              "price_fen": payload.price_fen, "district": payload.district, "delivered_on": payload.delivered_on}
    await session.execute(pg_insert(group_purchase_deliveries).values(
        group_purchase_id=payload.group_purchase_id, enterprise_id=payload.enterprise_id, **values).on_conflict_do_update(
        index_elements=["group_purchase_id", "enterprise_id"], set_=values))


SUBSCRIPTIONS = [
    Subscription("funding", "diagnosis", [Reaction(DIAGNOSIS_PROJECT_COMPLETED, record_diagnosis_completed),
                                          Reaction(ASSESSMENT_COMPLETED, record_assessment_completed)]),
    Subscription("funding", "evaluation", [Reaction(TIER_ASSIGNED, record_tier)]),
    Subscription("funding", "catalog", [Reaction(GROUP_PURCHASE_OPENED, record_group_purchase_opened),
                                        Reaction(GROUP_PURCHASE_ENROLLED, record_group_purchase_enrolled),
                                        Reaction(GROUP_PURCHASE_CLOSED, record_group_purchase_closed),
                                        Reaction(GROUP_PURCHASE_DELIVERED, record_group_purchase_delivered)]),
]


def _facts_statement() -> Any:
    """Every fact kept for an applicant, a project and a date, in one statement (one round trip), built once."""
    applicant: Any = bindparam("applicant_id", type_=String)
    project: Any = bindparam("project_id", type_=String)
    on: Any = bindparam("on", type_=Date)
    latest = (select(levels.c.level, levels.c.assessment_id).where(
        levels.c.enterprise_id == applicant, levels.c.stage == "post_transformation", levels.c.official.is_(True))
        .order_by(levels.c.recorded_at.desc(), levels.c.assessment_id.desc()).limit(1))
    tier = select(tiers.c.tier, tiers.c.model_version).where(tiers.c.provider_id == applicant, tiers.c.cycle_id == project).limit(1)
    titles = select(func.array_agg(distinct(known_titles.c.kind))).where(
        known_titles.c.organisation_id == applicant,
        or_(known_titles.c.valid_from.is_(None), known_titles.c.valid_from <= on),
        or_(known_titles.c.valid_until.is_(None), known_titles.c.valid_until >= on),
        or_(known_titles.c.revoked_on.is_(None), known_titles.c.revoked_on > on))
    pilot = select(pilot_pool.c.enrolled_on, pilot_pool.c.removed_on).where(pilot_pool.c.enterprise_id == applicant).limit(1)
    fee = select(diagnosis_completions.c.fee_fen, diagnosis_completions.c.completed_on).where(
        diagnosis_completions.c.project_id == project, diagnosis_completions.c.provider_id == applicant).limit(1)

    def one(query: Any, column: str) -> Any:
        return query.with_only_columns(query.selected_columns[column]).scalar_subquery().label(column)

    return select(one(latest, "level"), one(latest, "assessment_id"), one(tier, "tier"), one(tier, "model_version"),
                  titles.scalar_subquery().label("titles"), one(pilot, "enrolled_on"), one(pilot, "removed_on"),
                  one(fee, "fee_fen"), one(fee, "completed_on"))


_FACTS = _facts_statement()


async def gathered_facts(session: AsyncSession, applicant_id: str, project_id: str, on: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """The facts kept for an applicant and project on a date, and the inputs they supply: membership of the city
    pilot pool (S2 四(一)1: 列入试点的中小企业), the latest official post-transformation level, the tier of the
    cycle named by the project id, the titles held, the fee of the diagnosis project named by the project id (when
    the applicant is its provider)."""
    facts: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    kept = (await session.execute(_FACTS, {"applicant_id": applicant_id, "project_id": project_id, "on": on})).one()
    if kept.level is not None:
        facts["level"] = int(kept.level)
        facts["level_assessment_id"] = kept.assessment_id
    if kept.tier is not None:
        facts["tier"] = kept.tier
        facts["tier_model_version"] = kept.model_version
    facts["titles"] = sorted(set(kept.titles or ()))
    facts["pilot"] = int(kept.enrolled_on is not None and kept.enrolled_on <= on
                         and (kept.removed_on is None or kept.removed_on > on))
    if kept.fee_fen is not None:
        inputs["diagnosis_fee_fen"] = int(kept.fee_fen)
        facts["diagnosis_completed_on"] = kept.completed_on.isoformat()
    return facts, inputs


async def group_purchase_facts(session: AsyncSession, cluster_body_id: str, district: str | None, on: date) -> dict[str, Any]:
    """The basis of S2 四(二)3's graded award (数字化产品应用成效): the cluster body's group purchases and their
    deliveries up to ``on``, by district — the enterprises that adopted the product, the amount at the negotiated
    price (price × places enrolled, one place when no enrolment is kept) and the saving against the catalogue price
    (when the purchase's opening is kept). A delivery's district is the one catalog names, else the enterprise's
    in the registry. ``group_purchase_deliveries`` counts the deliveries in the application's ``district``."""
    purchases: list[Any] = list((await session.execute(select(group_purchases).where(group_purchases.c.cluster_body_id == cluster_body_id)
                                       .order_by(group_purchases.c.opens_on, group_purchases.c.group_purchase_id))).mappings())
    gpd, gpe = group_purchase_deliveries, group_purchase_enrolments
    delivered = (await session.execute(
        select(group_purchase_deliveries, func.coalesce(group_purchase_deliveries.c.district, known_organisations.c.district)
               .label("attributed_district"), group_purchase_enrolments.c.places_taken)
        .outerjoin(known_organisations, known_organisations.c.organisation_id == group_purchase_deliveries.c.enterprise_id)
        .outerjoin(gpe, (gpe.c.group_purchase_id == gpd.c.group_purchase_id) & (gpe.c.enterprise_id == gpd.c.enterprise_id))
        .where(group_purchase_deliveries.c.cluster_body_id == cluster_body_id, group_purchase_deliveries.c.delivered_on <= on)
        .order_by(group_purchase_deliveries.c.delivered_on, group_purchase_deliveries.c.group_purchase_id,
                  group_purchase_deliveries.c.enterprise_id))).mappings().all()
    catalogue = {p["group_purchase_id"]: p["catalogue_price_fen"] for p in purchases}
    known = set(catalogue)
    by_district: dict[str, dict[str, Any]] = {}
    per_purchase: dict[str, int] = {}
    for d in delivered:
        places = int(d["places_taken"] or 1)
        amount = int(d["price_fen"]) * places
        list_price = catalogue.get(d["group_purchase_id"])
        saving = max(0, int(list_price) - int(d["price_fen"])) * places if list_price is not None else 0
        entry = by_district.setdefault(d["attributed_district"] or "", {
            "district": d["attributed_district"], "deliveries": 0, "enterprises": [], "amount_fen": 0, "saving_fen": 0})
        entry["deliveries"] += 1
        if d["enterprise_id"] not in entry["enterprises"]:
            entry["enterprises"].append(d["enterprise_id"])
        entry["amount_fen"] += amount
        entry["saving_fen"] += saving
        per_purchase[d["group_purchase_id"]] = per_purchase.get(d["group_purchase_id"], 0) + 1
        if d["group_purchase_id"] not in known:  # delivered before its opening reached funding
            known.add(d["group_purchase_id"])
            purchases = [*purchases, {"group_purchase_id": d["group_purchase_id"], "product_id": d["product_id"],
                                      "version": d["version"], "package_code": None, "catalogue_price_fen": None,
                                      "price_fen": d["price_fen"], "places": None, "enrolled": None, "closed_on": None}]
    here = by_district.get(district or "", {"district": district, "deliveries": 0, "enterprises": [], "amount_fen": 0,
                                            "saving_fen": 0})
    basis = {
        "district": district,
        "purchases": [{"group_purchase_id": p["group_purchase_id"], "product_id": p["product_id"], "version": p["version"],
                       "package_code": p["package_code"], "catalogue_price_fen": p["catalogue_price_fen"],
                       "price_fen": p["price_fen"], "places": p["places"], "enrolled": p["enrolled"],
                       "closed_on": p["closed_on"].isoformat() if p["closed_on"] else None,
                       "deliveries": per_purchase.get(p["group_purchase_id"], 0)} for p in purchases],
        "by_district": [{**e, "enterprises": len(e["enterprises"])} for _, e in sorted(by_district.items())],
    }
    return {"group_purchase": basis, "group_purchase_deliveries": here["deliveries"],
            "group_purchase_enterprises": len(here["enterprises"]), "group_purchase_amount_fen": here["amount_fen"],
            "group_purchase_saving_fen": here["saving_fen"]}
