"""The adaptation-verification library (适配验证库, S2 三(三)): a third-party organisation records that an admitted
product works with a platform, another product or a standard interface — what was tested, the cases and their
results, evidence files, a validity date. A product shows "verified with" only while a valid record exists; the
daily check turns records past their date into expiry facts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any

from sqlalchemy import ARRAY, String, cast, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sihua_shared.aio import sleep_or_stop
from sihua_shared.audit import SYSTEM, audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.catalog import ADAPTATION_EXPIRED, ADAPTATION_VERIFIED, AdaptationExpired, AdaptationVerified
from sihua_shared.errors import conflict, forbidden, invalid, not_found
from sihua_shared.logging import get_logger
from sihua_shared.outbox import record_event
from sihua_shared.storage import FileStore

from ..adapters.tables import adaptation_records, product_files, product_search, products
from ..domain import access as policy
from ..domain.product import Listing
from .access import ensure, product_resource
from .products import _panel, get_product, store_file
from .showcase import reindex

log = get_logger("catalog.adaptations")
EXPIRY_ROUND_SECONDS = 3600.0


async def _admitted(session: AsyncSession, product_id: str) -> dict[str, Any]:
    row = (await session.execute(select(products).where(products.c.id == product_id))).mappings().first()
    if row is None or row["admitted_version"] is None or row["listing"] == Listing.DELISTED:
        raise not_found("product", product_id)
    return dict(row)


async def record_verification(session: AsyncSession, actor: Actor, product_id: str, body: dict[str, Any]) -> dict[str, Any]:
    if not policy.may_verify(actor):
        raise forbidden("只有第三方机构可以登记适配验证", "only the third-party organisation records verifications")
    product = await _admitted(session, product_id)
    today = business_clock(session).today()
    if body["valid_until"] < today:
        raise invalid("body.valid_until", "有效期不能早于今天", "the validity date is in the past", "valid_until_past")
    if body["target_kind"] == "product" and body["target_ref"] == product_id:
        raise invalid("body.target_ref", "不能与自身做适配验证", "a product is not verified with itself", "self_target")
    record_id = str(uuid.uuid4())
    row = {"id": record_id, "product_id": product_id, "product_version": product["admitted_version"],
           "target_kind": body["target_kind"], "target_ref": body["target_ref"], "target_name": body["target_name"],
           "tested": body["tested"], "cases": body["cases"], "verifier_account_id": actor.id,
           "verifier_organisation_id": str(actor.org), "verified_on": today, "valid_until": body["valid_until"]}
    await session.execute(adaptation_records.insert().values(**row))
    await record_event(session, ADAPTATION_VERIFIED, AdaptationVerified(
        record_id=record_id, product_id=product_id, version=product["admitted_version"], target_kind=body["target_kind"],
        target_ref=body["target_ref"], target_name=body["target_name"], verifier_organisation_id=str(actor.org),
        verified_on=today, valid_until=body["valid_until"]), subject=record_id)
    await audit(session, actor, "adaptation.verify", "adaptation_record", record_id, after=row)
    await reindex(session, product_id)
    return await get_record(session, record_id)


async def get_record(session: AsyncSession, record_id: str) -> dict[str, Any]:
    row = (await session.execute(select(adaptation_records).where(adaptation_records.c.id == record_id))).mappings().first()
    if row is None:
        raise not_found("adaptation record", record_id)
    return _view(dict(row), business_clock(session).today())


def _view(row: dict[str, Any], today: date) -> dict[str, Any]:
    return row | {"valid": row["expired_on"] is None and row["valid_until"] >= today}


async def list_records(session: AsyncSession, actor: Actor, product_id: str) -> list[dict[str, Any]]:
    if not actor.has(*policy.VERIFIERS):
        product = await get_product(session, actor, product_id)
        ensure(policy.adaptation_readers(actor), product_resource(product, await _panel(session, product_id)),
               not_found("product", product_id))
    rows = await session.execute(select(adaptation_records).where(adaptation_records.c.product_id == product_id)
                                 .order_by(adaptation_records.c.verified_on.desc(), adaptation_records.c.id))
    today = business_clock(session).today()
    return [_view(dict(r), today) for r in rows.mappings()]


async def attach_evidence(session: AsyncSession, files: FileStore, actor: Actor, record_id: str, *, filename: str,
                          data: bytes) -> dict[str, Any]:
    record = await get_record(session, record_id)
    if record["verifier_account_id"] != actor.id and record["verifier_organisation_id"] != actor.org:
        raise forbidden("只有登记该记录的机构可以上传佐证", "only the verifying organisation attaches evidence")
    if not record["valid"]:
        raise conflict("record_expired", "该适配验证已过期", "the record has expired")
    return await store_file(session, files, actor, record["product_id"], record["product_version"], filename=filename,
                            data=data, record_id=record_id)


async def record_evidence(session: AsyncSession, record_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(select(product_files).where(product_files.c.adaptation_record_id == record_id))
    return [dict(r) for r in rows.mappings()]


async def verified_products(session: AsyncSession, kind: str, ref: str) -> list[dict[str, Any]]:
    """Which listed products are verified with ``kind:ref`` (valid records only)."""
    s = product_search.c
    rows = await session.execute(select(s.product_id, s.name, s.catalogue_number, s.provider_name, s.version)
                                 .where(s.verified_with.contains(cast([f"{kind}:{ref}"], ARRAY(String)))).order_by(s.catalogue_number))
    return [dict(r) for r in rows.mappings()]


async def expire_records(session: AsyncSession) -> int:
    """Records past their validity date become expired: a fact each, and the products' "verified with" follow."""
    today = business_clock(session).today()
    rows = (await session.execute(select(adaptation_records).where(
        adaptation_records.c.expired_on.is_(None), adaptation_records.c.valid_until < today).with_for_update(skip_locked=True)
    )).mappings().all()
    for row in rows:
        await session.execute(update(adaptation_records).where(adaptation_records.c.id == row["id"]).values(expired_on=today))
        await record_event(session, ADAPTATION_EXPIRED, AdaptationExpired(
            record_id=row["id"], product_id=row["product_id"], target_kind=row["target_kind"], target_ref=row["target_ref"],
            valid_until=row["valid_until"]), subject=row["id"])
        await audit(session, SYSTEM, "adaptation.expire", "adaptation_record", row["id"],
                    before={"expired_on": None}, after={"expired_on": today})
    for product_id in {r["product_id"] for r in rows}:
        await reindex(session, product_id)
    return len(rows)


async def expiry_job(worker: Any, stop: asyncio.Event) -> None:
    """The worker's background job: the daily check of validity dates (hourly rounds; idempotent)."""
    factory: async_sessionmaker[AsyncSession] = worker._factory()
    while not stop.is_set():
        try:
            async with factory() as session, session.begin():
                expired = await expire_records(session)
            if expired:
                log.info("adaptations.expired", count=expired)
        except Exception as exc:  # the database away: try again at the next round
            log.warning("adaptations.expiry_failed", error=repr(exc))
        await sleep_or_stop(stop, EXPIRY_ROUND_SECONDS)
