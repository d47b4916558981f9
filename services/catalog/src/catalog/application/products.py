"""Products and their versions: a provider's drafts, change requests of admitted products, reads and lists through
the access policy, brochure files, and a city officer's delisting."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.catalog import PRODUCT_DELISTED, ProductDelisted
from sihua_shared.errors import conflict, forbidden, invalid, not_found, stale_version, transition_not_allowed
from sihua_shared.inputs import clean_filename
from sihua_shared.outbox import record_event
from sihua_shared.storage import FileStore, sniff, store_in

from ..adapters.tables import panel_members, product_files, product_versions, products
from ..domain import access as policy
from ..domain.product import EDITABLE, OPEN, PROVIDER_KINDS, Listing, Review, check_content
from .access import ensure, organisation, product_resource, visible
from .adoption import product_adoption
from .showcase import edition_in_force, reindex
from .standing import marks_of

MAX_BROCHURE_BYTES = 20 * 1024 * 1024


async def provider_of(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    """The actor's organisation, when it may offer products: verified, of a provider kind (or a traction unit)."""
    org = await organisation(session, str(actor.org)) if actor.org else None
    if org is None:
        raise forbidden("所在单位尚未登记，不能提交产品", "your organisation is not known to the registry", code="unknown_organisation")
    if org["verification"] not in (None, "verified"):
        raise forbidden("所在单位尚未通过核验，不能提交产品", "your organisation is not verified", code="organisation_not_verified")
    marks = await marks_of(session, org["organisation_id"], business_clock(session).today())
    if org["kind"] not in PROVIDER_KINDS and "traction_unit" not in marks:
        raise forbidden("只有数字化服务商可以提交产品", "only a digital service provider offers products", code="not_a_provider")
    return org


async def _known_scenes(session: AsyncSession) -> tuple[dict[str, str], str | None]:
    edition = await edition_in_force(session)
    if edition is None:
        return {}, None
    return {s["scene_id"]: s["name"] for s in edition["scenes"]}, edition["version_id"]


async def _checked(session: AsyncSession, content: dict[str, Any]) -> str | None:
    scenes, edition_version = await _known_scenes(session)
    check_content(content, scenes)
    return edition_version


async def create_product(session: AsyncSession, actor: Actor, content: dict[str, Any]) -> dict[str, Any]:
    org = await provider_of(session, actor)
    edition_version = await _checked(session, content)
    now = business_clock(session).now()
    product_id = str(uuid.uuid4())
    await session.execute(products.insert().values(
        id=product_id, organisation_id=org["organisation_id"], district=org["district"], listing=Listing.UNLISTED,
        latest_version=1, marks=[], suspension_reasons=[], created_by=actor.id, created_at=now, updated_at=now, version=1))
    await session.execute(product_versions.insert().values(
        product_id=product_id, number=1, state=Review.DRAFT, content=content, edition_version_id=edition_version,
        history=[], created_by=actor.id, created_at=now))
    await audit(session, actor, "product.create", "product", product_id, after=content)
    return await get_product(session, actor, product_id)


async def _panel(session: AsyncSession, product_id: str) -> list[str]:
    query = select(panel_members.c.expert_id).where(panel_members.c.product_id == product_id)
    return list((await session.execute(query)).scalars())


async def get_product(session: AsyncSession, actor: Actor, product_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(products).where(products.c.id == product_id, visible(policy.products(actor)))
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise not_found("product", product_id)
    product = dict(row)
    version = await get_version(session, product_id, product["latest_version"])
    return product | {"open_version": version if version["state"] in OPEN else None,
                      "content": version["content"], "state": version["state"]}


async def read_product(session: AsyncSession, actor: Actor, product_id: str) -> dict[str, Any]:
    """A product as its readers see it, with its adoption and outcomes (application/adoption.py)."""
    return await get_product(session, actor, product_id) | {"adoption": await product_adoption(session, product_id)}


async def get_version(session: AsyncSession, product_id: str, number: int) -> dict[str, Any]:
    row = (await session.execute(select(product_versions).where(
        product_versions.c.product_id == product_id, product_versions.c.number == number))).mappings().first()
    if row is None:
        raise not_found("product version", f"{product_id}@{number}")
    return dict(row)


async def read_version(session: AsyncSession, actor: Actor, product_id: str, number: int) -> dict[str, Any]:
    await get_product(session, actor, product_id)
    return await get_version(session, product_id, number)


async def list_versions(session: AsyncSession, actor: Actor, product_id: str) -> list[dict[str, Any]]:
    await get_product(session, actor, product_id)
    rows = await session.execute(select(product_versions).where(product_versions.c.product_id == product_id)
                                 .order_by(product_versions.c.number))
    return [dict(r) for r in rows.mappings()]


async def list_products(
    session: AsyncSession, actor: Actor, *, state: str | None, listing: str | None, limit: int, offset: int,
) -> tuple[list[dict[str, Any]], int]:
    latest = product_versions.alias("latest")
    query = (select(products, latest.c.state, latest.c.content)
             .join(latest, (latest.c.product_id == products.c.id) & (latest.c.number == products.c.latest_version))
             .where(visible(policy.products(actor))))
    if state:
        query = query.where(latest.c.state == state)
    if listing:
        query = query.where(products.c.listing == listing)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(products.c.updated_at.desc(), products.c.id).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


async def _editable(session: AsyncSession, actor: Actor, product_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    product = await get_product(session, actor, product_id, lock=True)
    ensure(policy.editable(actor), product_resource(product, []),
           forbidden("只有提交产品的服务商可以修改产品", "only the providing organisation edits its product"))
    version = await get_version(session, product_id, product["latest_version"])
    if version["state"] not in EDITABLE:
        raise transition_not_allowed("product version", version["state"], "edit", [])
    return product, version


async def edit_draft(session: AsyncSession, actor: Actor, product_id: str, content: dict[str, Any],
                     expected_version: int) -> dict[str, Any]:
    product, version = await _editable(session, actor, product_id)
    _check_version(product, expected_version)
    edition_version = await _checked(session, content)
    await session.execute(update(product_versions).where(
        product_versions.c.product_id == product_id, product_versions.c.number == version["number"]).values(
        content=content, edition_version_id=edition_version))
    await _touch(session, product_id)
    await audit(session, actor, "product.edit", "product", product_id, before=version["content"], after=content)
    return await get_product(session, actor, product_id)


def _check_version(product: dict[str, Any], expected: int) -> None:
    if product["version"] != expected:
        raise stale_version("product", "产品")


async def _touch(session: AsyncSession, product_id: str, **values: Any) -> None:
    await session.execute(update(products).where(products.c.id == product_id).values(
        version=products.c.version + 1, updated_at=business_clock(session).now(), **values))


async def request_change(session: AsyncSession, actor: Actor, product_id: str, content: dict[str, Any]) -> dict[str, Any]:
    """A change request of an admitted product: a new draft version (reviewed again before it takes effect)."""
    product = await get_product(session, actor, product_id, lock=True)
    ensure(policy.editable(actor), product_resource(product, []),
           forbidden("只有提交产品的服务商可以申请变更", "only the providing organisation requests changes"))
    if product["admitted_version"] is None or product["listing"] == Listing.DELISTED:
        raise conflict("not_admitted", "产品尚未入库或已下架，不能申请变更", "only an admitted, not delisted product takes change requests")
    if product["open_version"] is not None:
        raise conflict("change_pending", "已有待审核的版本", "a version is open already", number=product["latest_version"])
    edition_version = await _checked(session, content)
    number = product["latest_version"] + 1
    await session.execute(product_versions.insert().values(
        product_id=product_id, number=number, state=Review.DRAFT, content=content, edition_version_id=edition_version,
        history=[], created_by=actor.id, created_at=business_clock(session).now()))
    await _touch(session, product_id, latest_version=number)
    await audit(session, actor, "product.change_request", "product", product_id, after={"version": number, "content": content})
    return await get_product(session, actor, product_id)


async def delist(session: AsyncSession, actor: Actor, product_id: str, reason: str, expected_version: int) -> dict[str, Any]:
    if not policy.delisting(actor):
        raise forbidden("只有市级主管部门可以下架产品", "only a city officer delists a product")
    product = await get_product(session, actor, product_id, lock=True)
    _check_version(product, expected_version)
    if product["listing"] not in (Listing.LISTED, Listing.SUSPENDED):
        raise transition_not_allowed("product", product["listing"], "delist", [])
    if not reason.strip():
        raise invalid("body.reason", "请填写下架理由", "give the reason", "reason_required")
    await _touch(session, product_id, listing=Listing.DELISTED, delist_reason=reason)
    today = business_clock(session).today()
    await record_event(session, PRODUCT_DELISTED, ProductDelisted(
        product_id=product_id, version=product["admitted_version"], organisation_id=product["organisation_id"],
        reason=reason, delisted_on=today), subject=product_id)
    await audit(session, actor, "product.delist", "product", product_id, before={"listing": product["listing"]},
                after={"listing": Listing.DELISTED, "reason": reason})
    await reindex(session, product_id)
    return await get_product(session, actor, product_id)


# ---- brochure files ---------------------------------------------------------------------------------


async def attach_brochure(session: AsyncSession, files: FileStore, actor: Actor, product_id: str, *, filename: str,
                          data: bytes) -> dict[str, Any]:
    product, version = await _editable(session, actor, product_id)
    return await store_file(session, files, actor, product_id, version["number"], filename=filename, data=data)


async def store_file(session: AsyncSession, files: FileStore, actor: Actor, product_id: str, number: int, *,
                     filename: str, data: bytes, record_id: str | None = None) -> dict[str, Any]:
    if not data:
        raise invalid("body.file", "文件为空", "the file is empty", "file_empty")
    if len(data) > MAX_BROCHURE_BYTES:
        raise invalid("body.file", "文件超过 20MB", "the file exceeds 20 MB", "file_too_large")
    content_type = sniff(data, field="body.file")
    file_id = str(uuid.uuid4())
    stored = await store_in(session, files, f"catalog/{product_id}/{file_id}", data, content_type)
    row = {"id": file_id, "product_id": product_id, "version_number": number, "adaptation_record_id": record_id,
           "filename": clean_filename(filename), "content_type": content_type, "size": stored.size, "sha256": stored.sha256,
           "storage_key": stored.key, "uploaded_by": actor.id, "uploaded_at": business_clock(session).now()}
    await session.execute(product_files.insert().values(**row))
    await audit(session, actor, "product.file", "product", product_id, after={k: v for k, v in row.items() if k != "storage_key"})
    return row


async def list_files(session: AsyncSession, actor: Actor, product_id: str) -> list[dict[str, Any]]:
    await get_product(session, actor, product_id)
    rows = await session.execute(select(product_files).where(product_files.c.product_id == product_id)
                                 .order_by(product_files.c.uploaded_at, product_files.c.id))
    return [dict(r) for r in rows.mappings()]


async def get_file(session: AsyncSession, actor: Actor, product_id: str, file_id: str) -> dict[str, Any]:
    await get_product(session, actor, product_id)
    row = (await session.execute(select(product_files).where(
        product_files.c.product_id == product_id, product_files.c.id == file_id))).mappings().first()
    if row is None:
        raise not_found("file", file_id)
    return dict(row)
