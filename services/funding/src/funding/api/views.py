"""Routes for officials' views (资金管理看板): queues by state, budget use, the forecast, the what-if."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.clock import business_clock
from sihua_shared.runtime import Runtime, get_runtime

from ..application import views as uc
from ..application import whatif
from ..application.policies import versions_in_force

router = APIRouter(tags=["views 资金看板"])
FORECAST_READERS = ("finance", "city_officer", "auditor")


@router.get("/views/queues", summary="待办队列 / Queues by state",
            description=("How many applications, projects, payment orders and claw-backs are in each state, and the oldest "
                         "waiting day of those awaiting a decision; over what the official sees."))
async def queues(actor: Actor = Depends(require_roles(*uc.OFFICIALS)), runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    async with runtime.uow() as session:
        return await uc.queues(session, actor)


class BudgetUse(BaseModel):
    year: int
    fund_source: str
    measure_id: str
    amount_fen: int
    reserved_fen: int
    paid_fen: int
    remaining_fen: int
    budgets: int
    awards: int
    used_permille: int | None = Field(None, description="已使用（预留 + 已支付）占比，千分比")


@router.get("/views/budget-use", response_model=list[BudgetUse], summary="资金使用情况 / Budget use",
            description="Per fund source and measure (and year): amount, reserved, paid, remaining and the awards they carry.")
async def budget_use(year: int | None = Query(None, ge=2000, le=2100, description="年度"),
                     actor: Actor = Depends(require_roles("finance", "city_officer", "auditor", "district_officer")),
                     runtime: Runtime = Depends(get_runtime)) -> list[BudgetUse]:
    async with runtime.uow() as session:
        return [BudgetUse.model_validate(r) for r in await uc.budget_use(session, actor, year=year)]


class ForecastRow(BaseModel):
    fund_source: str
    month: str = Field(description="YYYY-MM，或 later（时间未定）")
    committed_fen: int
    in_progress_fen: int
    pending_acceptance_fen: int
    likely_clawback_fen: int
    net_fen: int = Field(description="预计支出净额：已承诺 + 实施中 + 待验收 − 可能追回")


class ForecastOut(BaseModel):
    as_of: date
    items: list[ForecastRow]
    estimates: dict[str, str] = Field(description="每一项如何估计")


@router.get("/views/forecast", response_model=ForecastOut, summary="资金需求预测 / Forecast per fund source and month",
            description=("Per fund source and month: committed (approved, not yet paid), expected from projects in progress, "
                         "pending acceptance, likely claw-back; `estimates` says how each is estimated."))
async def forecast(actor: Actor = Depends(require_roles(*FORECAST_READERS)), runtime: Runtime = Depends(get_runtime)) -> ForecastOut:
    async with runtime.uow() as session:
        today = business_clock(session).today()
        terms = uc.transformation_terms(await versions_in_force(session, runtime.settings.jurisdiction, today))
        return ForecastOut.model_validate(await uc.forecast(session, actor, **terms))


class WhatIfIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    yaml_text: str | None = Field(None, min_length=1, max_length=200_000, description="修改后的政策文件（YAML）")
    version_id: str | None = Field(None, min_length=3, max_length=120, description="或：已存的政策版本编号")


@router.post("/views/what-if", summary="政策测算 / What-if on the live queue",
             description=("Runs a changed policy version (a YAML text or a stored version id) against the applications "
                          "submitted or reviewed under the same policy, writing nothing: the difference per application, "
                          "per enterprise and per fund source."))
async def what_if(body: WhatIfIn, actor: Actor = Depends(require_roles(*FORECAST_READERS)),
                  runtime: Runtime = Depends(get_runtime)) -> dict[str, Any]:
    async with runtime.uow() as session:
        return await whatif.what_if(session, actor, yaml_text=body.yaml_text, version_id=body.version_id)
