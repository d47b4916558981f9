"""Routes for the finance bureau's files (财政): the bank's payment file imported, exports of awards, orders and
the reconciliation (XLSX, or CSV)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from sihua_shared.auth import Actor, require_roles
from sihua_shared.exports import EXPORT_RESPONSES, Column, export_response
from sihua_shared.runtime import Runtime, get_runtime

from ..application import finance_files as uc

router = APIRouter(tags=["finance 财政文件"])
Format = Literal["xlsx", "csv"]


class ImportRow(BaseModel):
    row: int = Field(description="文件中的行号")
    order_id: str | None = None
    status: Literal["applied", "unknown_order", "amount_differs", "already_paid", "bad_date", "bad_amount", "no_reference"]
    message: str | None = None
    amount_fen: int | None = None
    expected_fen: int | None = None
    paid_on: str | None = None


class ImportReport(BaseModel):
    rows: list[ImportRow]
    applied: int
    refused: int


class ImportOut(BaseModel):
    model_config = {"extra": "ignore"}

    id: str
    sha256: str
    filename: str
    imported_by: str
    imported_on: date
    repeated: bool = Field(description="同一文件此前已导入：返回首次的报告，不作任何改动")
    report: ImportReport


@router.post("/payment-files", status_code=201, response_model=ImportOut, summary="导入支付文件 / Import a payment file",
             description=("A finance officer uploads the bank's XLSX payment file (multipart `file`; columns 拨付指令编号, "
                          "金额（分）, 银行流水号, 支付日期). Each row is applied (the order marked paid, the budgets consumed) "
                          "or reported with why not. Importing the same file again changes nothing. Send an Idempotency-Key."))
async def import_file(request: Request, file: UploadFile = File(..., description="支付文件（XLSX）"),
                      actor: Actor = Depends(require_roles("finance")), runtime: Runtime = Depends(get_runtime)) -> Response:
    data = await file.read(uc.MAX_BYTES + 1)

    async def create() -> tuple[dict[str, Any], dict[str, str]]:
        async with runtime.uow() as session:
            done = await uc.import_payment_file(session, actor, filename=file.filename or "", data=data)
        return ImportOut.model_validate(done).model_dump(mode="json"), {}

    return await runtime.idempotency.run(request, f"funding_payment_file:{actor.id}", create)


AWARD_COLUMNS = [Column("application_id", "申请编号", 38), Column("applicant_id", "申请单位", 20),
                 Column("applicant_uscc", "统一社会信用代码", 22), Column("district", "区"), Column("measure_id", "措施", 24),
                 Column("clause", "条款"), Column("project_id", "项目编号", 20), Column("policy_version_id", "政策版本", 32),
                 Column("decided_on", "审批日期"), Column("amount_fen", "审批金额（分）"), Column("trace", "计算过程", 80),
                 Column("readings", "政策解读", 60)]
ORDER_COLUMNS = [Column("id", "拨付指令编号", 38), Column("application_id", "申请编号", 38), Column("applicant_id", "收款单位编号", 20),
                 Column("payee_name", "收款单位", 30), Column("payee_account", "收款账号（脱敏）", 20), Column("tranche", "期次"),
                 Column("amount_fen", "金额（分）"), Column("state", "状态"), Column("ordered_on", "下达日期"),
                 Column("paid_on", "支付日期"), Column("bank_reference", "银行流水号", 24), Column("offset_fen", "抵扣追回款（分）")]
RECONCILIATION_COLUMNS = [Column("application_id", "申请编号", 38), Column("applicant_id", "申请单位", 20),
                          Column("measure_id", "措施", 24), Column("approved_fen", "审批金额（分）"), Column("award_fen", "奖补净额（分）"),
                          Column("ordered_fen", "已下达（分）"), Column("paid_fen", "已支付（分）"),
                          Column("clawed_back_fen", "追回（分）"), Column("recovered_fen", "已收回（分）"),
                          Column("discrepancies", "差异", 20)]
READERS = require_roles(*uc.FILE_READERS)


@router.get("/exports/awards", summary="导出审批金额及计算过程 / Export approved amounts with their traces",
            response_class=Response, responses=EXPORT_RESPONSES,
            description="XLSX (or CSV) of every approved award: amount in fen, clause, policy version, the computation's steps.")
async def export_awards(format: Format = Query("xlsx", description="文件格式"), actor: Actor = Depends(READERS),
                        runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        rows = await uc.approved_rows(session, actor)
    return export_response(rows, AWARD_COLUMNS, fmt=format, filename="奖补审批金额", sheet="审批金额")


@router.get("/exports/payment-orders", summary="导出拨付指令 / Export payment orders", response_class=Response,
            responses=EXPORT_RESPONSES,
            description="XLSX (or CSV) of the payment orders (accounts masked); its first columns are those the payment file returns.")
async def export_orders(format: Format = Query("xlsx", description="文件格式"), actor: Actor = Depends(READERS),
                        runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        rows = await uc.order_rows(session, actor)
    return export_response(rows, ORDER_COLUMNS, fmt=format, filename="拨付指令", sheet="拨付指令")


@router.get("/exports/reconciliation", summary="导出对账表 / Export the reconciliation", response_class=Response,
            responses=EXPORT_RESPONSES, description="XLSX (or CSV): every award with ordered, paid, clawed back and its discrepancies.")
async def export_reconciliation(format: Format = Query("xlsx", description="文件格式"), actor: Actor = Depends(READERS),
                                runtime: Runtime = Depends(get_runtime)) -> Response:
    async with runtime.uow() as session:
        rows = await uc.reconciliation_rows(session, actor)
    return export_response(rows, RECONCILIATION_COLUMNS, fmt=format, filename="拨付对账", sheet="对账")
