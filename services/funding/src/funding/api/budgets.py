"""Routes for budgets (资金池): amounts per fund source, measure and year; what approvals reserved and payments used."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params, versioned_json
from sihua_shared.inputs import Code, Key, Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import budgets as uc
from ..domain.access import BUDGET_MANAGERS, BUDGET_READERS
from ..domain.policy_schema import MAX_FEN

router = APIRouter(tags=["budgets 资金池"])
FundSource = Literal["central", "provincial", "city", "district"]
Fen = int


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=2000, le=2100, description="年度")
    measure_id: Key = Field(max_length=100, description="措施 id（如 s2-transformation）")
    fund_source: FundSource = Field(description="资金来源：central 中央 / provincial 省级 / city 市级 / district 区级")
    district: Code | None = Field(None, max_length=50, description="区级资金所属区")
    amount_fen: Fen = Field(ge=0, le=MAX_FEN, description="资金池金额（分）")
    share_bp: int = Field(10_000, ge=1, le=10_000, description="该来源分担比例（万分之一；同一措施同一年度各来源之和为 10000）")
    document: Text | None = Field(None, max_length=200, description="下达文件文号")


class BudgetChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_fen: Fen = Field(ge=0, le=MAX_FEN, description="资金池金额（分）")
    share_bp: int = Field(ge=1, le=10_000, description="分担比例（万分之一）")


class EntryOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    application_id: str
    kind: Literal["reserve", "consume", "release", "unreserve", "restore"] = Field(
        description="reserve 预留 / consume 支付 / release 收回 / unreserve 释放预留（结算后奖补减少） / restore 追回后重新预留")
    amount_fen: Fen
    reference: str | None = None
    created_by: str


class BudgetOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    year: int
    measure_id: str
    fund_source: FundSource
    district: str | None
    amount_fen: Fen = Field(description="资金池金额（分）")
    share_bp: int = Field(description="分担比例（万分之一）")
    reserved_fen: Fen = Field(description="已预留（已审批未支付，分）")
    paid_fen: Fen = Field(description="已支付（分）")
    remaining_fen: Fen = Field(description="可用余额（分）")
    document: str | None = None
    created_by: str
    version: int
    entries: list[EntryOut] | None = Field(None, description="资金池变动：预留、支付、收回")


@router.post("/budgets", status_code=201, response_model=BudgetOut, summary="设定资金池 / Set a budget",
             description=("A finance or city officer sets the amount of one fund source for a measure and year (a "
                          "district's budget names its district), with the source's share of each award (basis points; the "
                          "shares of a measure's sources add up to 10000). Approvals then reserve on it. Send an Idempotency-Key."))
async def create(body: BudgetIn, request: Request, actor: Actor = Depends(require_roles(*BUDGET_MANAGERS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.create_budget(session, actor, year=body.year, measure_id=body.measure_id,
                                         fund_source=body.fund_source, district=body.district, amount_fen=body.amount_fen,
                                         share_bp=body.share_bp, document=body.document)
        out = BudgetOut.model_validate(row).model_dump(mode="json")
        return out, {"ETag": etag_for(int(row["version"])), "Location": f"{request.url.path}/{row['id']}"}

    return await runtime.idempotency.run(request, f"funding_budget:{actor.id}", make)


@router.get("/budgets", response_model=Page[BudgetOut], summary="资金池列表 / Budgets and their use",
            description="Per fund source, measure and year: amount, reserved, paid, remaining. District officers see their district's.")
async def index(
    year: int | None = Query(None, ge=2000, le=2100, description="年度"),
    measure_id: Key | None = Query(None, max_length=100, description="措施"),
    fund_source: FundSource | None = Query(None, description="资金来源"),
    page: PageParams = Depends(page_params),
    actor: Actor = Depends(require_roles(*BUDGET_READERS)), runtime: Runtime = Depends(get_runtime),
) -> Page[BudgetOut]:
    async with runtime.uow() as session:
        items, total = await uc.list_budgets(session, actor, year=year, measure_id=measure_id, fund_source=fund_source,
                                             limit=page.limit, offset=page.offset)
    return Page(items=[BudgetOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.get("/budgets/{budget_id}", response_model=BudgetOut, summary="查看资金池 / A budget with its movements",
            description="The budget and every reservation, payment and return on it.")
async def read(budget_id: Uuid, actor: Actor = Depends(require_roles(*BUDGET_READERS)),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        return versioned_json(BudgetOut, await uc.get_budget(session, actor, budget_id))


@router.put("/budgets/{budget_id}", response_model=BudgetOut, summary="调整资金池 / Change a budget",
            description="A finance or city officer changes the amount or share; never below what is reserved and paid. Send If-Match.")
async def change(budget_id: Uuid, body: BudgetChangeIn, request: Request,
                 actor: Actor = Depends(require_roles(*BUDGET_MANAGERS)), runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        budget = await uc.get_budget(session, actor, budget_id)
        check_if_match(request, budget["version"])
        return versioned_json(BudgetOut, await uc.change_budget(session, actor, budget, budget["version"],
                                                                amount_fen=body.amount_fen, share_bp=body.share_bp))
