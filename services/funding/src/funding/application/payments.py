"""Use cases on disbursement (拨付): payment orders per approved award and tranche, marked paid by the finance
side, and reconciliation (every approved amount paid exactly once).

Take a session and never commit. The payee's account is encrypted at rest with the Fernet key from settings
(``payee_account_key``) and shown masked (its last four digits). Ordering locks the application row so the orders
of one award never add up to more than its amount; marking paid consumes the award's budgets (资金池).
"""

from __future__ import annotations

import uuid
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import Attribute, where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.funding import (
    CLAWBACK_OFFSET,
    CLAWBACK_OPENED,
    CLAWBACK_REPAID,
    CLAWBACK_SETTLED,
    PAYMENT_ORDERED,
    PAYMENT_PAID,
    ClawbackOffset,
    ClawbackOpened,
    ClawbackReason,
    ClawbackRepaid,
    ClawbackSettled,
    PaymentOrdered,
    PaymentPaid,
)
from sihua_shared.errors import conflict, forbidden, not_found, stale_version
from sihua_shared.outbox import record_event

from ..adapters.funding_tables import applications
from ..adapters.payment_tables import clawbacks, payment_orders
from ..domain import access as policy
from ..domain.access import DISTRICT, ORGANISATION
from .budgets import consume, release

COLUMNS: dict[str, Attribute] = {ORGANISATION: payment_orders.c.applicant_id, DISTRICT: payment_orders.c.district}
PAYMENT_OFFICERS = ("city_officer", "finance")


def _cipher(key: str) -> Fernet:
    if not key:
        raise conflict("payee_key_missing", "未配置收款账户加密密钥，不能生成拨付指令",
                       "no payee account key is configured: no payment order is made")
    try:
        return Fernet(key.encode())
    except ValueError:
        raise conflict("payee_key_invalid", "收款账户加密密钥无效", "the payee account key is not a Fernet key") from None


def masked(tail: str) -> str:
    return f"****{tail}"


def view(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k != "payee_account_enc"}
    out["payee_account"] = masked(row["payee_account_tail"])
    return out


async def _application(session: AsyncSession, application_id: str) -> dict[str, Any]:
    return dict((await session.execute(select(applications).where(applications.c.id == application_id))).mappings().one())


def _about(app: dict[str, Any]) -> dict[str, Any]:
    """What every payment and claw-back fact says of the award."""
    return {"application_id": app["id"], "measure_id": app["measure_id"], "project_id": app["project_id"],
            "applicant_id": app["applicant_id"], "applicant_uscc": app["applicant_uscc"], "district": app["district"]}


async def _payment_fact(session: AsyncSession, order: dict[str, Any], *, paid: bool) -> None:
    app = await _application(session, order["application_id"])
    base = {**_about(app), "payment_order_id": order["id"], "tranche": order["tranche"], "amount_fen": int(order["amount_fen"]),
            "offset_fen": int(order.get("offset_fen") or 0)}
    if paid:
        await record_event(session, PAYMENT_PAID, PaymentPaid(
            **base, paid_on=order["paid_on"], bank_reference=order["bank_reference"], confirmed_by=order["confirmed_by"]),
            subject=order["id"], aggregate_version=order["version"])
    else:
        await record_event(session, PAYMENT_ORDERED, PaymentOrdered(
            **base, ordered_on=order["ordered_on"], payee_account_masked=masked(order["payee_account_tail"])),
            subject=order["id"], aggregate_version=order.get("version", 1))


def _claw_about(app: dict[str, Any], claw: dict[str, Any]) -> dict[str, Any]:
    return {**_about(app), "clawback_id": claw["id"]}


def reveal(key: str, row: dict[str, Any]) -> str:
    """The payee's account in clear (for the bank file only)."""
    try:
        return _cipher(key).decrypt(row["payee_account_enc"].encode()).decode()
    except InvalidToken:
        raise conflict("payee_key_mismatch", "密钥与加密数据不符", "the key does not open this account") from None


async def order(session: AsyncSession, actor: Actor, key: str, application_id: str, *, tranche: str, amount_fen: int | None,
                payee_name: str, payee_account: str) -> dict[str, Any]:
    if not actor.has(*PAYMENT_OFFICERS):
        raise forbidden("拨付指令由市级官员或财政部门下达", "a city or finance officer orders payments")
    cipher = _cipher(key)
    app = (await session.execute(select(applications).where(applications.c.id == application_id).with_for_update())).mappings().first()
    if app is None:
        raise not_found("funding application", application_id)
    if app["state"] != "approved":
        raise conflict("not_approved", "只有已审批的奖补可以拨付", "only an approved award is paid")
    ordered = int((await session.execute(select(func.coalesce(func.sum(payment_orders.c.amount_fen), 0)).where(
        payment_orders.c.application_id == application_id))).scalar_one())
    left = int(app["amount_fen"]) - ordered
    amount = left if amount_fen is None else amount_fen
    if amount <= 0 or amount > left:
        raise conflict("above_award", "拨付金额超过奖补未拨付的余额", "the order is above what is left of the award",
                       field="body.amount_fen", left_fen=left)
    taken = (await session.execute(select(payment_orders.c.id).where(payment_orders.c.application_id == application_id,
                                                                      payment_orders.c.tranche == tranche))).first()
    if taken is not None:
        raise conflict("tranche_ordered", "该期款项已下达拨付指令", "this tranche is ordered already", field="body.tranche")
    row = {"id": str(uuid.uuid4()), "application_id": application_id, "applicant_id": app["applicant_id"],
           "district": app["district"], "tranche": tranche, "amount_fen": amount, "payee_name": payee_name,
           "payee_account_enc": cipher.encrypt(payee_account.encode()).decode(), "payee_account_tail": payee_account[-4:],
           "state": "ordered", "ordered_by": actor.id, "ordered_on": business_clock(session).today()}
    await session.execute(payment_orders.insert().values(**row))
    await audit(session, actor, "funding_payment.order", "funding_payment_order", str(row["id"]), after=view(row))
    await _payment_fact(session, row, paid=False)
    return await get_order(session, actor, str(row["id"]))


async def get_order(session: AsyncSession, actor: Actor, order_id: str) -> dict[str, Any]:
    row = (await session.execute(select(payment_orders).where(payment_orders.c.id == order_id)
                                 .where(where(policy.subsidies(actor), COLUMNS)))).mappings().first()
    if row is None:
        raise not_found("payment order", order_id)
    return view(dict(row))


async def list_orders(session: AsyncSession, actor: Actor, *, state: str | None, limit: int, offset: int
                      ) -> tuple[list[dict[str, Any]], int]:
    query = select(payment_orders).where(where(policy.subsidies(actor), COLUMNS))
    if state:
        query = query.where(payment_orders.c.state == state)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(payment_orders.c.created_at, payment_orders.c.id).limit(limit).offset(offset))
    return [view(dict(r)) for r in rows.mappings()], int(total)


async def order_version(session: AsyncSession, order_id: str) -> int:
    """The order's version, for the finance side and the bank's client (who see orders by id)."""
    row = (await session.execute(select(payment_orders.c.version).where(payment_orders.c.id == order_id))).first()
    if row is None:
        raise not_found("payment order", order_id)
    return int(row[0])


async def mark_paid(session: AsyncSession, actor: Actor, order_id: str, expected_version: int, *, bank_reference: str) -> dict[str, Any]:
    """The finance side confirms the payment (a ``finance`` officer or the bank's ``service`` client)."""
    if not actor.has("finance", "service"):
        raise forbidden("由财政部门确认支付", "the finance side confirms payments")
    row = (await session.execute(select(payment_orders).where(payment_orders.c.id == order_id).with_for_update())).mappings().first()
    if row is None:
        raise not_found("payment order", order_id)
    if row["version"] != expected_version:
        raise stale_version("payment order", "拨付指令")
    if row["state"] != "ordered":
        raise conflict("already_paid", "该拨付指令已支付", "the order is paid already")
    return await settle_order(session, actor, dict(row), bank_reference=bank_reference, paid_on=business_clock(session).today(),
                              confirmed_by="finance" if actor.has("finance") else "service")


async def settle_order(session: AsyncSession, actor: Actor, row: dict[str, Any], *, bank_reference: str, paid_on: Any,
                       confirmed_by: str) -> dict[str, Any]:
    """An ordered payment (row locked) is paid: the award's budgets are consumed; open claw-backs of the same
    enterprise that the rule lets be offset are withheld from it (抵扣); the fact is published."""
    order_id = row["id"]
    offset = await offset_clawbacks(session, actor, row)
    await session.execute(update(payment_orders).where(payment_orders.c.id == order_id).values(
        state="paid", paid_by=actor.id, paid_on=paid_on, bank_reference=bank_reference, confirmed_by=confirmed_by,
        offset_fen=offset, version=payment_orders.c.version + 1))
    await consume(session, actor, row["application_id"], int(row["amount_fen"]), reference=order_id)
    stored = dict((await session.execute(select(payment_orders).where(payment_orders.c.id == order_id))).mappings().one())
    saved = view(stored)
    await audit(session, actor, "funding_payment.paid", "funding_payment_order", order_id, before=view(row), after=saved)
    await _payment_fact(session, stored, paid=True)
    return saved


async def reconciliation(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    """Every approved award with what was ordered and paid; the discrepancies: not fully paid, paid more, or an
    order for an award that is not approved."""
    if not actor.has("finance", "city_officer", "auditor"):
        raise forbidden("对账由财政部门、市级官员或审计查看", "finance, the city and auditors reconcile")
    approved = (await session.execute(select(applications.c.id, applications.c.applicant_id, applications.c.measure_id,
                                             applications.c.amount_fen, applications.c.state)
                                      .where(applications.c.amount_fen.is_not(None)))).mappings().all()
    sums: dict[str, tuple[int, int]] = {}
    rows = (await session.execute(select(payment_orders.c.application_id, payment_orders.c.amount_fen, payment_orders.c.state))).all()
    for application_id, amount, state in rows:
        ordered, paid = sums.get(application_id, (0, 0))
        sums[application_id] = (ordered + int(amount), paid + (int(amount) if state == "paid" else 0))
    items, discrepancies = [], []
    known = set()
    for app in approved:
        known.add(app["id"])
        ordered, paid = sums.get(app["id"], (0, 0))
        item = {"application_id": app["id"], "applicant_id": app["applicant_id"], "measure_id": app["measure_id"],
                "approved_fen": int(app["amount_fen"]), "ordered_fen": ordered, "paid_fen": paid}
        items.append(item)
        if app["state"] != "approved":
            continue
        if paid < int(app["amount_fen"]):
            discrepancies.append({**item, "kind": "unpaid", "difference_fen": int(app["amount_fen"]) - paid})
        elif paid > int(app["amount_fen"]):
            discrepancies.append({**item, "kind": "overpaid", "difference_fen": paid - int(app["amount_fen"])})
    for application_id, (ordered, paid) in sums.items():
        if application_id not in known:
            discrepancies.append({"application_id": application_id, "kind": "not_approved", "ordered_fen": ordered, "paid_fen": paid,
                                  "difference_fen": paid})
    return {"items": items, "discrepancies": discrepancies, "balanced": not discrepancies}


# ---- claw-backs (追回) ---------------------------------------------------------------------------------------------

CLAWBACK_COLUMNS: dict[str, Attribute] = {ORGANISATION: clawbacks.c.applicant_id, DISTRICT: clawbacks.c.district}


async def open_clawback(session: AsyncSession, actor: Actor, application_id: str, *, reason: ClawbackReason, amount_fen: int | None,
                        note: str | None) -> dict[str, Any]:
    """A city officer opens a recovery on a paid award: by default, for a failed progress check, the whole first
    tranche paid (S4 (四)); otherwise what was paid. Never more than paid and not yet clawed back."""
    if not actor.has("city_officer"):
        raise forbidden("追回由市级官员决定", "a city officer opens a claw-back")
    app = (await session.execute(select(applications).where(applications.c.id == application_id).with_for_update())).mappings().first()
    if app is None:
        raise not_found("funding application", application_id)
    paid_rows = (await session.execute(select(payment_orders.c.tranche, payment_orders.c.amount_fen).where(
        payment_orders.c.application_id == application_id, payment_orders.c.state == "paid"))).all()
    paid = {t: int(a) for t, a in paid_rows}
    open_total = int((await session.execute(select(func.coalesce(func.sum(clawbacks.c.amount_fen), 0)).where(
        clawbacks.c.application_id == application_id))).scalar_one())
    default = paid.get("first", 0) if reason == "failed_progress_check" else sum(paid.values())
    amount = default if amount_fen is None else amount_fen
    if amount <= 0 or amount > sum(paid.values()) - open_total:
        raise conflict("nothing_to_claw_back", "追回金额须大于零且不超过已支付未追回的金额",
                       "a claw-back is of what was paid and not yet clawed back", field="body.amount_fen")
    row = {"id": str(uuid.uuid4()), "application_id": application_id, "applicant_id": app["applicant_id"],
           "district": app["district"], "reason": reason, "note": note, "amount_fen": amount, "state": "open",
           "opened_by": actor.id, "opened_on": business_clock(session).today()}
    await session.execute(clawbacks.insert().values(**row))
    await audit(session, actor, "funding_clawback.open", "funding_clawback", str(row["id"]), after=row)
    await record_event(session, CLAWBACK_OPENED, ClawbackOpened(
        **_claw_about(dict(app), row), reason=reason, amount_fen=amount, opened_on=row["opened_on"]),
        subject=str(row["id"]), aggregate_version=1)
    return await get_clawback(session, actor, str(row["id"]))


async def get_clawback(session: AsyncSession, actor: Actor, clawback_id: str) -> dict[str, Any]:
    row = (await session.execute(select(clawbacks).where(clawbacks.c.id == clawback_id)
                                 .where(where(policy.subsidies(actor), CLAWBACK_COLUMNS)))).mappings().first()
    if row is None:
        raise not_found("claw-back", clawback_id)
    return dict(row)


async def list_clawbacks(session: AsyncSession, actor: Actor, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    query = select(clawbacks).where(where(policy.subsidies(actor), CLAWBACK_COLUMNS))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(clawbacks.c.created_at, clawbacks.c.id).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


async def recover(session: AsyncSession, actor: Actor, clawback: dict[str, Any], expected_version: int, *, amount_fen: int,
                  reference: str) -> dict[str, Any]:
    """The finance side records a repayment; it returns to the budgets; the claw-back is settled when fully repaid."""
    if not actor.has("finance"):
        raise forbidden("由财政部门确认追回款项", "the finance side records repayments")
    row = dict((await session.execute(select(clawbacks).where(clawbacks.c.id == clawback["id"]).with_for_update())).mappings().one())
    if row["version"] != expected_version:
        raise stale_version("claw-back", "追回")
    outstanding = int(row["amount_fen"]) - int(row["recovered_fen"])
    if row["state"] == "settled" or not 0 < amount_fen <= outstanding:
        raise conflict("above_outstanding", "收回金额超过待追回金额", "more than is outstanding", field="body.amount_fen",
                       outstanding_fen=outstanding)
    await release(session, actor, row["application_id"], amount_fen, reference=f"clawback:{row['id']}:{reference}"[:100])
    settled = amount_fen == outstanding
    await session.execute(update(clawbacks).where(clawbacks.c.id == row["id"]).values(
        recovered_fen=clawbacks.c.recovered_fen + amount_fen, state="settled" if settled else "open",
        settled_on=business_clock(session).today() if settled else None, version=clawbacks.c.version + 1))
    saved = dict((await session.execute(select(clawbacks).where(clawbacks.c.id == row["id"]))).mappings().one())
    await audit(session, actor, "funding_clawback.recover", "funding_clawback", row["id"], before=row, after=saved)
    about = _claw_about(await _application(session, row["application_id"]), saved)
    await record_event(session, CLAWBACK_REPAID, ClawbackRepaid(
        **about, repaid_fen=amount_fen, outstanding_fen=outstanding - amount_fen, repaid_on=business_clock(session).today()),
        subject=row["id"], aggregate_version=saved["version"])
    await _settled_fact(session, saved, about)
    return saved


async def _settled_fact(session: AsyncSession, claw: dict[str, Any], about: dict[str, Any]) -> None:
    if claw["state"] != "settled":
        return
    offset = int(claw["offset_fen"])
    await record_event(session, CLAWBACK_SETTLED, ClawbackSettled(
        **about, amount_fen=int(claw["amount_fen"]), offset_fen=offset, repaid_fen=int(claw["recovered_fen"]) - offset,
        settled_on=claw["settled_on"]), subject=claw["id"], aggregate_version=claw["version"])


async def offset_clawbacks(session: AsyncSession, actor: Actor, order: dict[str, Any]) -> int:
    """Withhold the open, offsettable claw-backs of the order's enterprise from its payment, oldest first; each
    offset returns to the budgets the claw-back's award came from. Answers the amount withheld."""
    found = (await session.execute(select(clawbacks).where(
        clawbacks.c.applicant_id == order["applicant_id"], clawbacks.c.state == "open", clawbacks.c.offsettable.is_(True))
        .order_by(clawbacks.c.opened_on, clawbacks.c.created_at, clawbacks.c.id).with_for_update())).mappings().all()
    left, withheld = int(order["amount_fen"]), 0
    today = business_clock(session).today()
    for claw in found:
        part = min(left, int(claw["amount_fen"]) - int(claw["recovered_fen"]))
        if part <= 0:
            continue
        left, withheld = left - part, withheld + part
        await release(session, actor, claw["application_id"], part, reference=f"offset:{order['id']}")
        settled = int(claw["recovered_fen"]) + part == int(claw["amount_fen"])
        await session.execute(update(clawbacks).where(clawbacks.c.id == claw["id"]).values(
            recovered_fen=clawbacks.c.recovered_fen + part, offset_fen=clawbacks.c.offset_fen + part,
            state="settled" if settled else "open", settled_on=today if settled else None, version=clawbacks.c.version + 1))
        saved = dict((await session.execute(select(clawbacks).where(clawbacks.c.id == claw["id"]))).mappings().one())
        await audit(session, actor, "funding_clawback.offset", "funding_clawback", claw["id"], before=dict(claw), after=saved)
        about = _claw_about(await _application(session, claw["application_id"]), saved)
        await record_event(session, CLAWBACK_OFFSET, ClawbackOffset(
            **about, payment_order_id=order["id"], offset_fen=part,
            outstanding_fen=int(saved["amount_fen"]) - int(saved["recovered_fen"]), offset_on=today),
            subject=claw["id"], aggregate_version=saved["version"])
        await _settled_fact(session, saved, about)
        if left == 0:
            break
    return withheld
