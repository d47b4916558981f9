"""Routes of 集中采购 (group purchase): a cluster body opens, closes and records delivery; member enterprises enrol."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, page_params, versioned_json
from sihua_shared.inputs import BusinessDate, Code, Key, Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import group_purchase as uc
from ..domain.access import ENROLLERS, GROUP_PURCHASE_OPENERS, GROUP_PURCHASE_READERS

router = APIRouter(prefix="/group-purchases", tags=["group purchase 集中采购"])
Fen = Field(ge=0, le=10_000_000_000_00, description="集中采购价（分）/ negotiated price in fen")


class GroupPurchaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: Uuid = Field(description="入库产品")
    package_code: Code = Field(description="套餐代码（现行版本）")
    price_fen: int = Fen
    places: int = Field(ge=1, le=100_000, description="名额")
    opens_on: BusinessDate = Field(description="报名开始日期")
    closes_on: BusinessDate = Field(description="报名截止日期")
    title: Text = Field(min_length=1, max_length=200, description="名称")


class DeliveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: Key = Field(description="已报名企业")
    delivered_on: BusinessDate | None = Field(default=None, description="交付日期（默认今天）")
    note: Text | None = Field(default=None, max_length=1000, description="交付说明")


class EnrolmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: str
    enrolled_on: date
    delivered_on: date | None
    delivery_note: str | None


class GroupPurchaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    cluster_body_id: str
    district: str | None
    product_id: str
    product_version: int
    provider_id: str
    package_code: str
    catalogue_price_fen: int
    price_fen: int
    places: int
    enrolled: int
    places_left: int
    opens_on: date
    closes_on: date
    title: str
    state: str
    closed_on: date | None
    created_at: datetime
    version: int
    enrolments: list[EnrolmentOut]


def _answer(row: dict[str, Any], status: int = 200) -> JSONResponse:
    return versioned_json(GroupPurchaseOut, row, status)


@router.post("", status_code=201, response_model=GroupPurchaseOut, summary="发起集中采购 / Open a group purchase",
             description="A cluster body opens a group purchase of a listed product's version in force: a package, a "
             "negotiated price no higher than its catalogue price (fen), places, an enrolment window. Idempotency-Key.")
async def open_purchase(body: GroupPurchaseIn, request: Request,
                        actor: Actor = Depends(require_roles(*GROUP_PURCHASE_OPENERS)),
                        runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.open_purchase(session, actor, body.model_dump())
        out = GroupPurchaseOut.model_validate(row).model_dump(mode="json")
        return out, {"ETag": f'"{row["version"]}"', "Location": f"{request.url.path}/{row['id']}"}

    return await runtime.idempotency.run(request, f"group-purchase:{actor.id}", make)


@router.get("", response_model=Page[GroupPurchaseOut], summary="集中采购列表 / Group purchases",
            description="The cluster body its own, member enterprises their clusters', providers those of their "
            "products, officials by district.")
async def index(page: PageParams = Depends(page_params), actor: Actor = Depends(require_roles(*GROUP_PURCHASE_READERS)),
                runtime: Runtime = Depends(get_runtime)) -> Page[GroupPurchaseOut]:
    async with runtime.uow() as session:
        rows, total = await uc.list_purchases(session, actor, limit=page.limit, offset=page.offset)
    return Page(items=[GroupPurchaseOut.model_validate(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.get("/{purchase_id}", response_model=GroupPurchaseOut, summary="集中采购详情 / A group purchase",
            description="With its enrolments (an enterprise sees its own) and the ETag for closing.")
async def show(purchase_id: Uuid, actor: Actor = Depends(require_roles(*GROUP_PURCHASE_READERS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        return _answer(await uc.get(session, actor, purchase_id))


@router.post("/{purchase_id}/enrolments", status_code=201, response_model=GroupPurchaseOut,
             summary="报名集中采购 / Enrol", description="A member enterprise of the cluster enrols, within the window while "
             "places remain; once. Idempotency-Key.")
async def enrol(purchase_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*ENROLLERS)),
                runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.enrol(session, actor, purchase_id)
        return GroupPurchaseOut.model_validate(row).model_dump(mode="json"), {}

    return await runtime.idempotency.run(request, f"group-purchase-enrol:{actor.id}:{purchase_id}", make)


@router.post("/{purchase_id}/close", response_model=GroupPurchaseOut, summary="截止报名 / Close the enrolment",
             description="The cluster body ends the enrolment (If-Match).")
async def close(purchase_id: Uuid, request: Request, actor: Actor = Depends(require_roles(*GROUP_PURCHASE_OPENERS)),
                runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        row = await uc.runnable(session, actor, purchase_id)
        check_if_match(request, row["version"])
        return _answer(await uc.close(session, actor, purchase_id, row))


@router.post("/{purchase_id}/deliveries", status_code=201, response_model=GroupPurchaseOut,
             summary="登记交付 / Record delivery", description="The cluster body records delivery to an enrolled enterprise, "
             "which becomes an adopter of the product version. Idempotency-Key.")
async def deliver(purchase_id: Uuid, body: DeliveryIn, request: Request,
                  actor: Actor = Depends(require_roles(*GROUP_PURCHASE_OPENERS)),
                  runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.deliver(session, actor, purchase_id, body.enterprise_id, body.note, body.delivered_on)
        return GroupPurchaseOut.model_validate(row).model_dump(mode="json"), {}

    return await runtime.idempotency.run(request, f"group-purchase-delivery:{actor.id}:{purchase_id}", make)
