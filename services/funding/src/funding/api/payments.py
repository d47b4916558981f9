"""Routes for disbursement (拨付): payment orders per award and tranche, confirmation of payment, reconciliation."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.http import Page, PageParams, check_if_match, etag_for, page_params, versioned_json
from sihua_shared.inputs import Text, Uuid
from sihua_shared.runtime import Runtime, get_runtime

from ..application import payments as uc
from ..domain.policy_schema import MAX_FEN

router = APIRouter(tags=["payments 拨付"])
Tranche = Literal["whole", "first", "final"]


class OrderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tranche: Tranche = Field(description="期次：whole 一次性 / first 首期 / final 尾款")
    amount_fen: int | None = Field(None, ge=1, le=MAX_FEN, description="金额（分）；不填为奖补未拨付的余额")
    payee_name: Text = Field(max_length=300, description="收款单位")
    payee_account: str = Field(pattern=r"^[0-9]{8,34}$", description="收款账号（加密存储，显示时脱敏）")


class PaidIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank_reference: Text = Field(max_length=100, description="银行流水号")


class OrderOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    application_id: str
    applicant_id: str
    tranche: Tranche
    amount_fen: int = Field(description="金额（分）")
    payee_name: str
    payee_account: str = Field(description="收款账号（脱敏）")
    state: Literal["ordered", "paid"]
    ordered_on: date
    paid_on: date | None = None
    bank_reference: str | None = None
    offset_fen: int = Field(0, description="支付时抵扣的追回款（分）/ withheld to settle open claw-backs")
    confirmed_by: Literal["finance", "service", "payment_file"] | None = None
    computation: dict[str, Any] | None = Field(None, description="验收结算的重算过程（尾款）/ the settlement's recomputation")
    version: int


class ReconciliationOut(BaseModel):
    items: list[dict[str, Any]] = Field(description="每笔奖补：审批金额、已下达、已支付（分）")
    discrepancies: list[dict[str, Any]] = Field(description="差异：未付清 unpaid、多付 overpaid、未审批却拨付 not_approved")
    balanced: bool


@router.post("/applications/{application_id}/payment-orders", status_code=201, response_model=OrderOut,
             summary="下达拨付指令 / Order a payment",
             description=("A city or finance officer orders one tranche of an approved award to the payee's account "
                          "(encrypted at rest, shown masked); the orders never exceed the award. Send an Idempotency-Key."))
async def create(application_id: Uuid, body: OrderIn, request: Request, actor: Actor = Depends(require_roles(*uc.PAYMENT_OFFICERS)),
                 runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            row = await uc.order(session, actor, runtime.settings.payee_account_key, application_id, tranche=body.tranche,
                                 amount_fen=body.amount_fen, payee_name=body.payee_name, payee_account=body.payee_account)
        return OrderOut.model_validate(row).model_dump(mode="json"), {"ETag": etag_for(int(row["version"]))}

    return await runtime.idempotency.run(request, f"funding_payment:{actor.id}", make)


@router.get("/payment-orders", response_model=Page[OrderOut], summary="拨付指令列表 / Payment orders",
            description="Visible as awards are: the applicant its own, districts theirs, the city, finance and auditors all.")
async def index(state: Literal["ordered", "paid"] | None = Query(None, description="状态"), page: PageParams = Depends(page_params),
                actor: Actor = Depends(require_roles("enterprise", "provider", "third_party", "cluster_body", "district_officer",
                                                     "city_officer", "auditor", "finance")),
                runtime: Runtime = Depends(get_runtime)) -> Page[OrderOut]:
    async with runtime.uow() as session:
        items, total = await uc.list_orders(session, actor, state=state, limit=page.limit, offset=page.offset)
    return Page(items=[OrderOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.post("/payment-orders/{order_id}/paid", response_model=OrderOut, summary="确认支付 / Confirm a payment",
             description="A finance officer or the bank's service client confirms the payment; the budgets are consumed. Send If-Match.")
async def paid(order_id: Uuid, body: PaidIn, request: Request, actor: Actor = Depends(require_roles("finance", "service")),
               runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        version = await uc.order_version(session, order_id)
        check_if_match(request, version)
        return versioned_json(OrderOut, await uc.mark_paid(session, actor, order_id, version, bank_reference=body.bank_reference))


@router.get("/reconciliation", response_model=ReconciliationOut, summary="对账 / Reconciliation",
            description="Every approved amount with what was ordered and paid; every discrepancy listed.")
async def reconcile(actor: Actor = Depends(require_roles("finance", "city_officer", "auditor")),
                    runtime: Runtime = Depends(get_runtime)) -> ReconciliationOut:
    async with runtime.uow() as session:
        return ReconciliationOut.model_validate(await uc.reconciliation(session, actor))


class ClawbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["failed_progress_check", "revoked_acceptance", "double_funding"] = Field(
        description="追回原因：进度检查不合格 / 撤销验收 / 重复获得资助")
    amount_fen: int | None = Field(None, ge=1, le=MAX_FEN, description="追回金额（分）；不填：进度检查不合格为首期已付款，其余为已付款")
    note: Text | None = Field(None, max_length=2000, description="说明")


class RepaymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_fen: int = Field(ge=1, le=MAX_FEN, description="收回金额（分）")
    reference: Text = Field(max_length=60, description="缴款凭证号")


class ClawbackOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    application_id: str
    applicant_id: str
    reason: str
    note: str | None = None
    amount_fen: int = Field(description="应追回（分）")
    recovered_fen: int = Field(description="已收回（分）：抵扣 + 退回")
    offset_fen: int = Field(0, description="其中抵扣（分）")
    offsettable: bool = Field(False, description="可从该企业此后的拨付中抵扣（政策数据中的追回规则）")
    clause: str | None = None
    state: Literal["open", "settled"]
    opened_on: date
    settled_on: date | None = None
    version: int


@router.post("/applications/{application_id}/clawbacks", status_code=201, response_model=ClawbackOut,
             summary="发起追回 / Open a claw-back",
             description=("A city officer opens a recovery of a paid award: a failed progress check claws back the whole "
                          "first tranche (S4 (四)); a revoked acceptance or double funding what was paid."))
async def open_clawback(application_id: Uuid, body: ClawbackIn, actor: Actor = Depends(require_roles("city_officer")),
                        runtime: Runtime = Depends(get_runtime)) -> ClawbackOut:
    async with runtime.uow() as session:
        return ClawbackOut.model_validate(await uc.open_clawback(session, actor, application_id, reason=body.reason,
                                                                 amount_fen=body.amount_fen, note=body.note))


@router.get("/clawbacks", response_model=Page[ClawbackOut], summary="追回台账 / Claw-backs",
            description="Visible as awards are.")
async def clawbacks(page: PageParams = Depends(page_params),
                    actor: Actor = Depends(require_roles("enterprise", "provider", "third_party", "cluster_body",
                                                         "district_officer", "city_officer", "auditor", "finance")),
                    runtime: Runtime = Depends(get_runtime)) -> Page[ClawbackOut]:
    async with runtime.uow() as session:
        items, total = await uc.list_clawbacks(session, actor, limit=page.limit, offset=page.offset)
    return Page(items=[ClawbackOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset)


@router.post("/clawbacks/{clawback_id}/repayments", response_model=ClawbackOut, summary="收回款项 / Record a repayment",
             description="A finance officer records a repayment; it returns to the budgets; settled when fully repaid. Send If-Match.")
async def repayment(clawback_id: Uuid, body: RepaymentIn, request: Request, actor: Actor = Depends(require_roles("finance")),
                    runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        clawback = await uc.get_clawback(session, actor, clawback_id)
        check_if_match(request, clawback["version"])
        return versioned_json(ClawbackOut, await uc.recover(session, actor, clawback, clawback["version"],
                                                            amount_fen=body.amount_fen, reference=body.reference))


class SettlementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verified_actual_investment_fen: int = Field(ge=0, le=MAX_FEN, description="验收核实的实际投入（分，不含税）")
    accepted_on: date = Field(description="通过整体验收的日期")
    payee_name: Text = Field(max_length=300, description="收款单位")
    payee_account: str = Field(pattern=r"^[0-9]{8,34}$", description="收款账号（加密存储，显示时脱敏）")


class SettlementOut(BaseModel):
    application_id: str
    computation: dict[str, Any] = Field(description="重算：核实投入、重算金额（不超过审批金额）、已拨付、差额，及其计算过程与条款")
    payment_order: OrderOut | None = Field(None, description="尾款（或验收后一次性拨付）的拨付指令")
    clawback: ClawbackOut | None = Field(None, description="差额为负时的追回（recomputed_below_paid）")


@router.post("/applications/{application_id}/settlement", status_code=201, response_model=SettlementOut,
             summary="验收结算 / Settle after acceptance",
             description=("A city officer settles an award paid in tranches (S4 (四)) after acceptance: the support is "
                          "recomputed on the verified actual investment (never above the approved amount); the last payment "
                          "is that total minus what was paid and kept, a negative remainder is clawed back. Send an Idempotency-Key."))
async def settlement(application_id: Uuid, body: SettlementIn, request: Request,
                     actor: Actor = Depends(require_roles("city_officer")), runtime: Runtime = Depends(get_runtime)) -> Response:
    async def make() -> tuple[dict[str, object], dict[str, str]]:
        async with runtime.uow() as session:
            done = await uc.settle(session, actor, runtime.settings.payee_account_key, application_id,
                                   verified_actual_investment_fen=body.verified_actual_investment_fen, accepted_on=body.accepted_on,
                                   payee_name=body.payee_name, payee_account=body.payee_account)
        return SettlementOut.model_validate(done).model_dump(mode="json"), {}

    return await runtime.idempotency.run(request, f"funding_settlement:{actor.id}", make)


class LedgerEntryOut(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    kind: Literal["paid", "clawback_opened", "clawback_offset", "clawback_repaid", "recomputed"]
    amount_fen: int = Field(description="奖补金额的变动（分，负数为减少）/ change of the award")
    paid_fen: int = Field(description="资金的变动（分）：拨付为正，抵扣、退回为负")
    clause: str | None = None
    reference: str | None = None
    trace: dict[str, Any] | None = None
    created_by: str
    created_on: date


class LedgerOut(BaseModel):
    items: list[LedgerEntryOut]
    total: int
    limit: int
    offset: int
    standing: dict[str, int] = Field(description="奖补净额、已下达、已支付、已追回、待下达（分）")


@router.get("/applications/{application_id}/ledger", response_model=LedgerOut, summary="奖补台账明细 / An award's ledger",
            description=("Every step of an award after approval (payments, claw-backs, offsets, repayments, recomputation); "
                         "visible as awards are."))
async def ledger(application_id: Uuid, page: PageParams = Depends(page_params),
                 actor: Actor = Depends(require_roles("enterprise", "provider", "third_party", "cluster_body", "district_officer",
                                                      "city_officer", "auditor", "finance")),
                 runtime: Runtime = Depends(get_runtime)) -> LedgerOut:
    async with runtime.uow() as session:
        items, total, standing = await uc.award_ledger(session, actor, application_id, limit=page.limit, offset=page.offset)
    return LedgerOut(items=[LedgerEntryOut.model_validate(i) for i in items], total=total, limit=page.limit, offset=page.offset,
                     standing=standing)
