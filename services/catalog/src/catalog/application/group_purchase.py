"""集中采购 (S2 三(六), 四 3): a cluster body opens a group purchase of an admitted product version at a negotiated
price no higher than the catalogue price of the chosen package, with a window and a number of places; the
cluster's member enterprises (registry cluster facts, kept in ``cluster_members``) enrol; the cluster body closes the
enrolment and records delivery per enterprise, which makes the enterprise an adopter of the product version
(``adoptions``: matching's "N enterprises of your sector adopted it", ratings' right to rate). Every step is a fact
funding counts for the district's graded award."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import Attribute, where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts import catalog as facts
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.errors import conflict, forbidden, invalid, not_found
from sihua_shared.events import CloudEvent
from sihua_shared.outbox import record_event
from sihua_shared.readmodels import VersionedUpsert

from ..adapters.matching import adoptions, cluster_members, group_purchase_enrolments, group_purchases
from ..adapters.readmodels import known_organisations
from ..adapters.tables import product_versions, products
from ..domain import access as policy
from ..domain import group_purchase as domain
from ..domain.product import Listing
from .access import ensure

_member = VersionedUpsert(cluster_members, "membership_id", ("removed",), ("cluster_body_id", "enterprise_id", "district"))


async def record_member(session: AsyncSession, envelope: CloudEvent, payload: registry_facts.ClusterMemberApproved) -> None:
    values = payload.model_dump(include={"membership_id", "cluster_body_id", "enterprise_id", "district"})
    await _member.apply(session, values | {"removed": False}, 1)


async def record_member_removed(session: AsyncSession, envelope: CloudEvent, payload: registry_facts.ClusterMemberRemoved) -> None:
    values = payload.model_dump(include={"membership_id", "cluster_body_id", "enterprise_id"})
    await _member.apply(session, values | {"removed": True}, 2)  # a removal is final for that membership


def _is_member(enterprise_id: Any) -> ColumnElement[bool]:
    m = cluster_members.c
    return exists().where(m.cluster_body_id == group_purchases.c.cluster_body_id, m.enterprise_id == enterprise_id,
                          m.removed.is_(False))


COLUMNS: dict[str, Attribute] = {
    policy.ORGANISATION: group_purchases.c.cluster_body_id, policy.DISTRICT: group_purchases.c.district,
    policy.PROVIDER: group_purchases.c.provider_id, policy.MEMBERS: _is_member,
}


async def _members(session: AsyncSession, cluster_body_id: str) -> list[str]:
    m = cluster_members.c
    return list((await session.execute(select(m.enterprise_id).where(
        m.cluster_body_id == cluster_body_id, m.removed.is_(False)))).scalars())


async def _resource(session: AsyncSession, row: dict[str, Any]) -> dict[str, Any]:
    return {policy.ORGANISATION: row["cluster_body_id"], policy.DISTRICT: row["district"],
            policy.PROVIDER: row["provider_id"], policy.MEMBERS: await _members(session, row["cluster_body_id"])}


async def _row(session: AsyncSession, purchase_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(group_purchases).where(group_purchases.c.id == purchase_id)
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise not_found("group purchase", purchase_id)
    return dict(row)


async def _view(session: AsyncSession, actor: Actor, row: dict[str, Any]) -> dict[str, Any]:
    e = group_purchase_enrolments.c
    query = select(group_purchase_enrolments).where(e.group_purchase_id == row["id"]).order_by(e.enrolled_on, e.enterprise_id)
    enrolments = [dict(r) for r in (await session.execute(query)).mappings()]
    taken = len(enrolments)
    if not policy.sees_every_enrolment(actor):
        enrolments = [r for r in enrolments if r["enterprise_id"] == actor.org]
    return row | {"enrolled": taken, "places_left": max(row["places"] - taken, 0), "enrolments": enrolments}


async def get(session: AsyncSession, actor: Actor, purchase_id: str, *, lock: bool = False) -> dict[str, Any]:
    row = await _row(session, purchase_id, lock=lock)
    ensure(policy.group_purchases(actor), await _resource(session, row), not_found("group purchase", purchase_id))
    return await _view(session, actor, row)


async def list_purchases(session: AsyncSession, actor: Actor, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    condition = where(policy.group_purchases(actor), COLUMNS)
    total = (await session.execute(select(func.count()).select_from(group_purchases).where(condition))).scalar_one()
    rows = await session.execute(select(group_purchases).where(condition)
                                 .order_by(group_purchases.c.opens_on.desc(), group_purchases.c.id).limit(limit).offset(offset))
    return [await _view(session, actor, dict(r)) for r in rows.mappings()], total


async def open_purchase(session: AsyncSession, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    if actor.org is None or not actor.has(*policy.GROUP_PURCHASE_OPENERS):
        raise forbidden("只有集群主体可以发起集中采购", "only a cluster body opens group purchases")
    product = (await session.execute(select(products).where(products.c.id == body["product_id"]))).mappings().first()
    if product is None or product["admitted_version"] is None or product["listing"] != Listing.LISTED:
        raise invalid("body.product_id", "产品不在供给清单上", "the product is not on the supply list", "product_not_listed")
    content = (await session.execute(select(product_versions.c.content).where(
        product_versions.c.product_id == product["id"], product_versions.c.number == product["admitted_version"]))).scalar_one()
    package = next((p for p in content["packages"] if p["code"] == body["package_code"]), None)
    if package is None:
        raise invalid("body.package_code", "该版本没有此套餐", "the version has no such package", "unknown_package")
    today = business_clock(session).today()
    domain.check_terms(price_fen=body["price_fen"], catalogue_price_fen=package["price_fen"], opens_on=body["opens_on"],
                       closes_on=body["closes_on"], today=today)
    district = (await session.execute(select(known_organisations.c.district).where(
        known_organisations.c.organisation_id == actor.org))).scalar_one_or_none()
    row = {"id": str(uuid.uuid4()), "cluster_body_id": actor.org, "district": district, "product_id": product["id"],
           "product_version": product["admitted_version"], "provider_id": product["organisation_id"],
           "package_code": package["code"], "catalogue_price_fen": package["price_fen"], "price_fen": body["price_fen"],
           "places": body["places"], "opens_on": body["opens_on"], "closes_on": body["closes_on"], "title": body["title"],
           "state": domain.State.OPEN, "created_by": actor.id, "version": 1}
    await session.execute(group_purchases.insert().values(**row))
    await record_event(session, facts.GROUP_PURCHASE_OPENED, facts.GroupPurchaseOpened(
        group_purchase_id=row["id"], cluster_body_id=actor.org, product_id=product["id"], version=row["product_version"],
        package_code=package["code"], catalogue_price_fen=package["price_fen"], price_fen=body["price_fen"],
        places=body["places"], opens_on=body["opens_on"], closes_on=body["closes_on"]), subject=row["id"])
    await audit(session, actor, "group_purchase.open", "group_purchase", row["id"], after=row)
    return await get(session, actor, row["id"])


async def enrol(session: AsyncSession, actor: Actor, purchase_id: str) -> dict[str, Any]:
    row = await _row(session, purchase_id, lock=True)
    resource = await _resource(session, row)
    ensure(policy.group_purchases(actor), resource, not_found("group purchase", purchase_id))
    if not actor.has(*policy.ENROLLERS) or actor.org not in resource[policy.MEMBERS]:
        raise forbidden("只有集群成员企业可以报名", "only the cluster's member enterprises enrol")
    e = group_purchase_enrolments.c
    if (await session.execute(select(e.enterprise_id).where(e.group_purchase_id == purchase_id,
                                                            e.enterprise_id == actor.org))).first():
        raise conflict("already_enrolled", "企业已报名", "the enterprise has enrolled already")
    taken = (await session.execute(select(func.count()).where(e.group_purchase_id == purchase_id))).scalar_one()
    today = business_clock(session).today()
    domain.check_enrolment(state=row["state"], opens_on=row["opens_on"], closes_on=row["closes_on"], today=today,
                           taken=taken, places=row["places"])
    await session.execute(group_purchase_enrolments.insert().values(
        group_purchase_id=purchase_id, enterprise_id=actor.org, enrolled_on=today, enrolled_by=actor.id))
    await _bump(session, row)
    await record_event(session, facts.GROUP_PURCHASE_ENROLLED, facts.GroupPurchaseEnrolled(
        group_purchase_id=purchase_id, cluster_body_id=row["cluster_body_id"], enterprise_id=str(actor.org),
        product_id=row["product_id"], version=row["product_version"], price_fen=row["price_fen"], enrolled_on=today,
        places_taken=taken + 1), subject=purchase_id)
    await audit(session, actor, "group_purchase.enrol", "group_purchase", purchase_id, after={"enterprise_id": actor.org})
    return await get(session, actor, purchase_id)


async def _bump(session: AsyncSession, row: dict[str, Any], **values: Any) -> None:
    await session.execute(update(group_purchases).where(group_purchases.c.id == row["id"])
                          .values(version=row["version"] + 1, **values))


async def _run(session: AsyncSession, actor: Actor, purchase_id: str) -> dict[str, Any]:
    row = await get(session, actor, purchase_id, lock=True)
    ensure(policy.runs_group_purchase(actor), await _resource(session, row),
           forbidden("只有发起的集群主体可以操作", "only the cluster body that opened it"))
    return row


async def close(session: AsyncSession, actor: Actor, purchase_id: str, row: dict[str, Any]) -> dict[str, Any]:
    state = domain.MACHINE.step(row["state"], "close")
    today = business_clock(session).today()
    await _bump(session, row, state=state, closed_on=today)
    await record_event(session, facts.GROUP_PURCHASE_CLOSED, facts.GroupPurchaseClosed(
        group_purchase_id=purchase_id, cluster_body_id=row["cluster_body_id"], product_id=row["product_id"],
        version=row["product_version"], enrolled=row["enrolled"], closed_on=today), subject=purchase_id)
    await audit(session, actor, "group_purchase.close", "group_purchase", purchase_id,
                before={"state": row["state"]}, after={"state": state})
    return await get(session, actor, purchase_id)


async def runnable(session: AsyncSession, actor: Actor, purchase_id: str) -> dict[str, Any]:
    """The purchase, locked, when ``actor`` runs it (the cluster body that opened it)."""
    return await _run(session, actor, purchase_id)


async def deliver(session: AsyncSession, actor: Actor, purchase_id: str, enterprise_id: str, note: str | None,
                  delivered_on: date | None) -> dict[str, Any]:
    row = await _run(session, actor, purchase_id)
    e = group_purchase_enrolments.c
    enrolment = (await session.execute(select(group_purchase_enrolments).where(
        e.group_purchase_id == purchase_id, e.enterprise_id == enterprise_id))).mappings().first()
    if enrolment is None:
        raise invalid("body.enterprise_id", "该企业未报名本次集中采购", "the enterprise has not enrolled", "not_enrolled")
    if enrolment["delivered_on"] is not None:
        raise conflict("already_delivered", "已登记交付", "delivery is recorded already")
    today = business_clock(session).today()
    on = delivered_on or today
    if on > today or on < enrolment["enrolled_on"]:
        raise invalid("body.delivered_on", "交付日期须在报名之后且不晚于今天", "delivery date out of range", "delivery_date")
    await session.execute(update(group_purchase_enrolments).where(
        e.group_purchase_id == purchase_id, e.enterprise_id == enterprise_id).values(
        delivered_on=on, delivery_note=note, delivered_by=actor.id))
    org = (await session.execute(select(known_organisations.c.sector, known_organisations.c.district).where(
        known_organisations.c.organisation_id == enterprise_id))).first()
    await session.execute(pg_insert(adoptions).values(
        enterprise_id=enterprise_id, product_id=row["product_id"], product_version=row["product_version"],
        sector=org.sector if org else None, source="group_purchase", source_id=purchase_id, adopted_on=on,
    ).on_conflict_do_nothing())
    await _bump(session, row)
    await record_event(session, facts.GROUP_PURCHASE_DELIVERED, facts.GroupPurchaseDelivered(
        group_purchase_id=purchase_id, cluster_body_id=row["cluster_body_id"], enterprise_id=enterprise_id,
        product_id=row["product_id"], version=row["product_version"], price_fen=row["price_fen"],
        district=org.district if org else None, delivered_on=on), subject=purchase_id)
    await audit(session, actor, "group_purchase.deliver", "group_purchase", purchase_id,
                after={"enterprise_id": enterprise_id, "delivered_on": on})
    return await get(session, actor, purchase_id)
