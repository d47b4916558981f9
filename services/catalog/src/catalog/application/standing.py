"""What a provider is and whether its products may stay on the list, read from the registry's facts: the marks
(key platform, traction unit, ecosystem partner) and the automatic suspension and reinstatement of products when a
title they are marked with is revoked or granted again, or the provider's standing is lost or regained.

Everything is recomputed from the read models, never from the fact that triggered it, so facts arriving out of
order (a revocation before its grant) leave the products right.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import SYSTEM, audit
from sihua_shared.clock import business_clock
from sihua_shared.contracts.catalog import PRODUCT_REINSTATED, PRODUCT_SUSPENDED, ProductReinstated, ProductSuspended
from sihua_shared.events import CloudEvent
from sihua_shared.outbox import record_event

from ..adapters.readmodels import ecosystem_partners, known_titles, organisation_standing
from ..adapters.tables import products
from ..domain.product import MARKS, TITLE_MARKS, Listing
from .showcase import reindex


async def valid_title_kinds(session: AsyncSession, organisation_id: str, today: date) -> set[str]:
    t = known_titles.c
    query = select(t.kind).where(
        t.organisation_id == organisation_id, t.kind.in_(TITLE_MARKS), t.revoked_on.is_(None),
        or_(t.valid_from.is_(None), t.valid_from <= today), or_(t.valid_until.is_(None), t.valid_until >= today),
    )
    return set((await session.execute(query)).scalars())


async def marks_of(session: AsyncSession, organisation_id: str, today: date) -> list[str]:
    kinds = await valid_title_kinds(session, organisation_id, today)
    partner = (await session.execute(select(ecosystem_partners.c.membership_id).where(
        ecosystem_partners.c.partner_id == organisation_id, ecosystem_partners.c.ended.is_(False)).limit(1))).first()
    if partner is not None:
        kinds.add("ecosystem_partner")
    return [m for m in MARKS if m in kinds]


async def verification(session: AsyncSession, organisation_id: str) -> str | None:
    return (await session.execute(select(organisation_standing.c.verification).where(
        organisation_standing.c.organisation_id == organisation_id))).scalar_one_or_none()


async def suspension_reasons(session: AsyncSession, product: dict[str, Any], today: date) -> list[str]:
    reasons: list[str] = []
    if await verification(session, product["organisation_id"]) == "rejected":
        reasons.append("服务商核验未通过或已被取消")
    held = await valid_title_kinds(session, product["organisation_id"], today)
    reasons += [f"{MARKS[m]}称号已撤销或失效" for m in product["marks"] if m in TITLE_MARKS and m not in held]
    return reasons


async def reconcile_provider(session: AsyncSession, organisation_id: str) -> None:
    """Suspend the organisation's listed products whose marks no longer hold; reinstate suspended ones that hold."""
    today = business_clock(session).today()
    rows = (await session.execute(select(products).where(
        products.c.organisation_id == organisation_id,
        products.c.listing.in_([Listing.LISTED, Listing.SUSPENDED])).with_for_update())).mappings().all()
    for row in rows:
        product = dict(row)
        reasons = await suspension_reasons(session, product, today)
        if reasons and product["listing"] == Listing.LISTED:
            await _set_listing(session, product, Listing.SUSPENDED, reasons)
            await record_event(session, PRODUCT_SUSPENDED, ProductSuspended(
                product_id=product["id"], version=product["admitted_version"], organisation_id=organisation_id,
                reasons=reasons, suspended_on=today), subject=product["id"])
        elif not reasons and product["listing"] == Listing.SUSPENDED:
            await _set_listing(session, product, Listing.LISTED, [])
            await record_event(session, PRODUCT_REINSTATED, ProductReinstated(
                product_id=product["id"], version=product["admitted_version"], organisation_id=organisation_id,
                reinstated_on=today), subject=product["id"])
        elif reasons and reasons != product["suspension_reasons"]:
            await session.execute(update(products).where(products.c.id == product["id"]).values(suspension_reasons=reasons))


async def _set_listing(session: AsyncSession, product: dict[str, Any], listing: Listing, reasons: list[str]) -> None:
    await session.execute(update(products).where(products.c.id == product["id"]).values(
        listing=listing, suspension_reasons=reasons, version=products.c.version + 1, updated_at=business_clock(session).now()))
    await audit(session, SYSTEM, f"product.{'suspend' if reasons else 'reinstate'}", "product", product["id"],
                before={"listing": product["listing"]}, after={"listing": listing, "reasons": reasons})
    await reindex(session, product["id"])


async def on_registry_fact(session: AsyncSession, envelope: CloudEvent, payload: Any) -> None:
    """After the read models took a title or organisation fact: bring the provider's products in line."""
    await reconcile_provider(session, payload.organisation_id)

