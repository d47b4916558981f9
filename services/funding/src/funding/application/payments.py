"""Use cases on disbursement (拨付): payment orders per approved award and tranche, marked paid by the finance
side, and reconciliation (every approved amount paid exactly once).

Take a session and never commit. The payee's account is encrypted at rest with the Fernet key from settings
(``payee_account_key``) and shown masked (its last four digits). Ordering locks the application row so the orders
of one award never add up to more than its amount; marking paid consumes the award's budgets (资金池).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import case, func, select, update
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
from sihua_shared.errors import conflict, forbidden, invalid, not_found, stale_version
from sihua_shared.outbox import record_event

from ..adapters.funding_tables import applications, awards
from ..adapters.payment_tables import clawbacks, ledger_entries, payment_orders
from ..domain import access as policy
from ..domain.access import DISTRICT, ORGANISATION
from ..domain.engine import PriorAward
from ..domain.policy_schema import BASE_INPUTS
from .applications import _run as run_measure
from .applications import trace_json
from .budgets import consume, held_reserved, release, restore, unreserve
from .policies import load_version

COLUMNS: dict[str, Attribute] = {ORGANISATION: payment_orders.c.applicant_id, DISTRICT: payment_orders.c.district}
APPLICATION_COLUMNS: dict[str, Attribute] = {ORGANISATION: applications.c.applicant_id, DISTRICT: applications.c.district}
AWARD_COLUMNS: dict[str, Attribute] = {ORGANISATION: awards.c.applicant_id, DISTRICT: awards.c.district}
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


async def standing(session: AsyncSession, application_id: str) -> dict[str, int]:
    """Where an award stands: its net amount on the ledger (after recomputations and claw-backs that take it back),
    what was ordered and paid, what was clawed back (opened) and recovered; what is left to order."""
    award = (await session.execute(select(awards.c.amount_fen).where(awards.c.application_id == application_id))).scalar()
    ordered, paid = (await session.execute(select(
        func.coalesce(func.sum(payment_orders.c.amount_fen), 0),
        func.coalesce(func.sum(case((payment_orders.c.state == "paid", payment_orders.c.amount_fen), else_=0)), 0))
        .where(payment_orders.c.application_id == application_id))).one()
    clawed, recovered = (await session.execute(select(func.coalesce(func.sum(clawbacks.c.amount_fen), 0),
                                                      func.coalesce(func.sum(clawbacks.c.recovered_fen), 0))
                                               .where(clawbacks.c.application_id == application_id))).one()
    net = int(award or 0)
    return {"award_fen": net, "ordered_fen": int(ordered), "paid_fen": int(paid), "clawed_back_fen": int(clawed),
            "recovered_fen": int(recovered), "net_paid_fen": int(paid) - int(clawed),
            "left_fen": net - (int(ordered) - int(clawed))}


async def _locked_approved(session: AsyncSession, application_id: str) -> dict[str, Any]:
    app = (await session.execute(select(applications).where(applications.c.id == application_id).with_for_update())).mappings().first()
    if app is None:
        raise not_found("funding application", application_id)
    if app["state"] != "approved":
        raise conflict("not_approved", "只有已审批的奖补可以拨付", "only an approved award is paid")
    return dict(app)


def _tranches(app: dict[str, Any]) -> list[dict[str, Any]]:
    return list((app.get("trace") or {}).get("tranches") or [])


async def order(session: AsyncSession, actor: Actor, key: str, application_id: str, *, tranche: str, amount_fen: int | None,
                payee_name: str, payee_account: str) -> dict[str, Any]:
    """One tranche of an approved award. For a measure paid in tranches (S4 (四)) the first is at most its share of
    the approved computation; what is paid after acceptance is settled (``settle``) on the verified investment."""
    if not actor.has(*PAYMENT_OFFICERS):
        raise forbidden("拨付指令由市级官员或财政部门下达", "a city or finance officer orders payments")
    cipher = _cipher(key)
    app = await _locked_approved(session, application_id)
    left = (await standing(session, application_id))["left_fen"]
    tranches = _tranches(app)
    if tranches:
        if tranche != "first":
            raise conflict("settlement_required", "分期拨付的项目验收后须按核实的实际投入结算拨付",
                           "a measure paid in tranches is settled after acceptance on the verified actual investment",
                           field="body.tranche")
        left = min(left, int(tranches[0]["amount_fen"]))
    amount = left if amount_fen is None else amount_fen
    if amount <= 0 or amount > left:
        raise conflict("above_award", "拨付金额超过奖补未拨付的余额（或首期比例）", "the order is above what is left of the award "
                       "(or the first tranche's share)", field="body.amount_fen", left_fen=left)
    return await _new_order(session, actor, cipher, app, tranche=tranche, amount=amount, payee_name=payee_name,
                            payee_account=payee_account)


async def _new_order(session: AsyncSession, actor: Actor, cipher: Fernet, app: dict[str, Any], *, tranche: str, amount: int,
                     payee_name: str, payee_account: str, computation: dict[str, Any] | None = None) -> dict[str, Any]:
    taken = (await session.execute(select(payment_orders.c.id).where(payment_orders.c.application_id == app["id"],
                                                                      payment_orders.c.tranche == tranche))).first()
    if taken is not None:
        raise conflict("tranche_ordered", "该期款项已下达拨付指令", "this tranche is ordered already", field="body.tranche")
    row = {"id": str(uuid.uuid4()), "application_id": app["id"], "applicant_id": app["applicant_id"],
           "district": app["district"], "tranche": tranche, "amount_fen": amount, "payee_name": payee_name,
           "payee_account_enc": cipher.encrypt(payee_account.encode()).decode(), "payee_account_tail": payee_account[-4:],
           "state": "ordered", "ordered_by": actor.id, "ordered_on": business_clock(session).today(), "computation": computation}
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
    await ledger_entry(session, actor, await _application(session, row["application_id"]), "paid",
                       paid_fen=int(row["amount_fen"]), reference=order_id)
    stored = dict((await session.execute(select(payment_orders).where(payment_orders.c.id == order_id))).mappings().one())
    saved = view(stored)
    await audit(session, actor, "funding_payment.paid", "funding_payment_order", order_id, before=view(row), after=saved)
    await _payment_fact(session, stored, paid=True)
    return saved


async def reconciliation(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    """Every approved award with what was ordered, paid and clawed back; the discrepancies: not fully paid
    (``unpaid``), paid above the award with a claw-back open for it (``receivable``) or without (``overpaid``), or
    an order for an award that is not approved (``not_approved``)."""
    if not actor.has("finance", "city_officer", "auditor"):
        raise forbidden("对账由财政部门、市级官员或审计查看", "finance, the city and auditors reconcile")
    approved = (await session.execute(select(applications.c.id, applications.c.applicant_id, applications.c.measure_id,
                                             applications.c.amount_fen, applications.c.state)
                                      .where(applications.c.amount_fen.is_not(None)).order_by(applications.c.id))).mappings().all()
    items, discrepancies = [], []
    known = set()
    for app in approved:
        known.add(app["id"])
        at = await standing(session, app["id"])
        item = {"application_id": app["id"], "applicant_id": app["applicant_id"], "measure_id": app["measure_id"],
                "approved_fen": int(app["amount_fen"]), "award_fen": at["award_fen"], "ordered_fen": at["ordered_fen"],
                "paid_fen": at["paid_fen"], "clawed_back_fen": at["clawed_back_fen"], "recovered_fen": at["recovered_fen"]}
        items.append(item)
        if app["state"] != "approved":
            continue
        kept = at["paid_fen"] - at["recovered_fen"]
        if at["net_paid_fen"] < at["award_fen"]:
            discrepancies.append({**item, "kind": "unpaid", "difference_fen": at["award_fen"] - at["net_paid_fen"]})
        elif at["net_paid_fen"] > at["award_fen"]:
            discrepancies.append({**item, "kind": "overpaid", "difference_fen": at["net_paid_fen"] - at["award_fen"]})
        elif kept > at["award_fen"]:
            discrepancies.append({**item, "kind": "receivable", "difference_fen": kept - at["award_fen"]})
    rows = (await session.execute(select(payment_orders.c.application_id, payment_orders.c.amount_fen, payment_orders.c.state)
                                  .where(payment_orders.c.application_id.not_in(sorted(known))))).all()
    strays: dict[str, tuple[int, int]] = {}
    for application_id, amount, state in rows:
        ordered, paid = strays.get(application_id, (0, 0))
        strays[application_id] = (ordered + int(amount), paid + (int(amount) if state == "paid" else 0))
    for application_id, (ordered, paid) in strays.items():
        discrepancies.append({"application_id": application_id, "kind": "not_approved", "ordered_fen": ordered, "paid_fen": paid,
                              "difference_fen": paid})
    return {"items": items, "discrepancies": discrepancies, "balanced": not discrepancies}


# ---- claw-backs (追回) ---------------------------------------------------------------------------------------------

CLAWBACK_COLUMNS: dict[str, Attribute] = {ORGANISATION: clawbacks.c.applicant_id, DISTRICT: clawbacks.c.district}


TAKES_AWARD_BACK = ("revoked_acceptance", "double_funding")  # the award itself is withdrawn (a negative ledger entry)


async def ledger_entry(session: AsyncSession, actor: Actor, app: dict[str, Any], kind: str, *, amount_fen: int = 0,
                       paid_fen: int = 0, clause: str | None = None, reference: str | None = None,
                       trace: dict[str, Any] | None = None) -> None:
    """A step on the award ledger: ``amount_fen`` changes the award (its net amount on funding_awards, which the
    cumulative caps read), ``paid_fen`` moves money (a payment positive, a recovery negative)."""
    row = {"id": str(uuid.uuid4()), "application_id": app["id"], "applicant_id": app["applicant_id"],
           "measure_id": app["measure_id"], "project_id": app["project_id"], "district": app["district"], "kind": kind,
           "amount_fen": amount_fen, "paid_fen": paid_fen, "clause": clause, "reference": reference, "trace": trace,
           "created_by": actor.id, "created_on": business_clock(session).today()}
    await session.execute(ledger_entries.insert().values(**row))
    if amount_fen:
        await session.execute(update(awards).where(awards.c.application_id == app["id"]).values(
            amount_fen=awards.c.amount_fen + amount_fen))
    await audit(session, actor, f"funding_ledger.{kind}", "funding_application", app["id"], after=row)


async def _rule(session: AsyncSession, app: dict[str, Any], reason: str) -> Any:
    """The measure's claw-back rule for the reason (policy data), or None."""
    version = await load_version(session, app["policy_version_id"])
    measure = version.document.measure(app["measure_id"])
    return next((c for c in (measure.clawbacks if measure else ()) if c.reason == reason), None)


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
    open_total = (await standing(session, application_id))["clawed_back_fen"]
    default = paid.get("first", 0) if reason == "failed_progress_check" else sum(paid.values())
    amount = default if amount_fen is None else amount_fen
    if amount <= 0 or amount > sum(paid.values()) - open_total:
        raise conflict("nothing_to_claw_back", "追回金额须大于零且不超过已支付未追回的金额",
                       "a claw-back is of what was paid and not yet clawed back", field="body.amount_fen")
    return await _open(session, actor, dict(app), reason=reason, amount=amount, note=note)


async def _open(session: AsyncSession, actor: Actor, app: dict[str, Any], *, reason: ClawbackReason, amount: int,
                note: str | None, trace: dict[str, Any] | None = None) -> dict[str, Any]:
    rule = await _rule(session, app, reason)
    row = {"id": str(uuid.uuid4()), "application_id": app["id"], "applicant_id": app["applicant_id"],
           "district": app["district"], "reason": reason, "note": note, "amount_fen": amount, "state": "open",
           "opened_by": actor.id, "opened_on": business_clock(session).today(),
           "offsettable": bool(rule is not None and rule.offset), "clause": rule.clause if rule is not None else app["clause"]}
    await session.execute(clawbacks.insert().values(**row))
    await audit(session, actor, "funding_clawback.open", "funding_clawback", str(row["id"]), after=row)
    await ledger_entry(session, actor, app, "clawback_opened", amount_fen=-amount if reason in TAKES_AWARD_BACK else 0,
                       clause=row["clause"], reference=str(row["id"]), trace=trace)
    await record_event(session, CLAWBACK_OPENED, ClawbackOpened(
        **_claw_about(app, row), reason=reason, amount_fen=amount, opened_on=row["opened_on"]),
        subject=str(row["id"]), aggregate_version=1)
    return dict((await session.execute(select(clawbacks).where(clawbacks.c.id == row["id"]))).mappings().one())


# ---- settlement after acceptance (S4 (四)) ---------------------------------------------------------------------------

async def settle(session: AsyncSession, actor: Actor, key: str, application_id: str, *, verified_actual_investment_fen: int,
                 accepted_on: date, payee_name: str, payee_account: str) -> dict[str, Any]:
    """After acceptance, a measure paid in tranches is recomputed on the verified actual investment (the measure's
    base; never above the approved amount): the award becomes that total, the last payment is the total minus what
    was paid and kept; a negative remainder is clawed back (``recomputed_below_paid``)."""
    if not actor.has("city_officer"):
        raise forbidden("验收结算由市级官员进行", "a city officer settles after acceptance")
    cipher = _cipher(key)
    app = await _locked_approved(session, application_id)
    if not _tranches(app):
        raise conflict("no_tranches", "该奖补不分期拨付，无需验收结算", "the award is not paid in tranches: nothing to settle")
    done = (await session.execute(select(ledger_entries.c.id).where(ledger_entries.c.application_id == application_id,
                                                                     ledger_entries.c.kind == "recomputed"))).first()
    if done is not None:
        raise conflict("already_settled", "该奖补已验收结算", "the award is settled already")
    pending = (await session.execute(select(payment_orders.c.id).where(payment_orders.c.application_id == application_id,
                                                                       payment_orders.c.state != "paid"))).first()
    if pending is not None:  # the remainder is on what was paid: an order still payable would be paid on top of it
        raise conflict("order_pending", "首期拨付指令尚未支付，支付后再验收结算",
                       "a payment order of the award is not paid yet: settle once it is paid")
    if accepted_on > business_clock(session).today():
        raise invalid("body.accepted_on", "验收日期不得晚于今天", "the acceptance is today or earlier", "accepted_in_future")
    version = await load_version(session, app["policy_version_id"])
    measure = version.document.measure(app["measure_id"])
    assert measure is not None and measure.base is not None
    frozen = app["frozen"] or {}
    inputs = {**frozen.get("inputs", {}), **{name: verified_actual_investment_fen for name in BASE_INPUTS[measure.base]}}
    priors = [PriorAward(p["applicant_id"], p["measure_id"], p["award_group"], p["project_id"], p["district"],
                         date.fromisoformat(p["decided_on"]), p["year"], p["amount_fen"]) for p in frozen.get("priors", [])]
    result = run_measure(version, app, inputs, frozen.get("facts", {}), priors, date.fromisoformat(frozen["decided_on"]))
    before = await standing(session, application_id)
    total = min(result.amount_fen, before["award_fen"])
    remainder = total - before["net_paid_fen"]
    computation = {"clause": measure.clause, "accepted_on": accepted_on.isoformat(),
                   "verified_actual_investment_fen": verified_actual_investment_fen, "recomputed_fen": result.amount_fen,
                   "approved_fen": before["award_fen"], "total_fen": total, "net_paid_fen": before["net_paid_fen"],
                   "remainder_fen": remainder, "trace": trace_json(result),
                   "readings": [t.reading.text for t in measure.tranches if t.reading is not None]}
    await ledger_entry(session, actor, app, "recomputed", amount_fen=total - before["award_fen"], clause=measure.clause,
                       trace=computation)
    payment, claw = None, None
    reserved = await held_reserved(session, application_id)
    keep = max(remainder, 0)
    if reserved > keep:  # the reservation the recomputed award no longer needs returns to the budgets
        await unreserve(session, actor, application_id, reserved - keep, reference=f"recomputed:{application_id}")
    if remainder > 0:
        ordered = (await session.execute(select(payment_orders.c.id).where(payment_orders.c.application_id == application_id))).first()
        payment = await _new_order(session, actor, cipher, app, tranche="final" if ordered else "whole", amount=remainder,
                                   payee_name=payee_name, payee_account=payee_account, computation=computation)
    elif remainder < 0:
        claw = await _open(session, actor, app, reason="recomputed_below_paid", amount=-remainder,
                           note="验收后按核实的实际投入重算，扶持额低于已拨付", trace=computation)
    return {"application_id": application_id, "computation": computation, "payment_order": payment, "clawback": claw}


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
    await _return_to_budgets(session, actor, row, amount_fen, f"clawback:{row['id']}:{reference}"[:100])
    await ledger_entry(session, actor, await _application(session, row["application_id"]), "clawback_repaid", paid_fen=-amount_fen,
                       clause=row["clause"], reference=f"{row['id']}:{reference}"[:100])
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


async def _return_to_budgets(session: AsyncSession, actor: Actor, claw: dict[str, Any], amount: int, reference: str) -> None:
    """A recovery returns to the budgets the award came from: reserved again when the award still stands (a
    failed progress check: payable once after acceptance), else available (release)."""
    move = restore if claw["reason"] == "failed_progress_check" else release
    await move(session, actor, claw["application_id"], amount, reference=reference)


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
        await _return_to_budgets(session, actor, dict(claw), part, f"offset:{order['id']}")
        await ledger_entry(session, actor, await _application(session, claw["application_id"]), "clawback_offset",
                           paid_fen=-part, clause=claw["clause"], reference=f"{claw['id']}:{order['id']}"[:100])
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


async def award_ledger(session: AsyncSession, actor: Actor, application_id: str, *, limit: int, offset: int
                       ) -> tuple[list[dict[str, Any]], int, dict[str, int]]:
    """An award's ledger entries, for those who see the award."""
    seen = (await session.execute(select(awards.c.application_id).where(awards.c.application_id == application_id)
                                  .where(where(policy.subsidies(actor), AWARD_COLUMNS)))).first()
    if seen is None:
        raise not_found("award", application_id)
    query = select(ledger_entries).where(ledger_entries.c.application_id == application_id)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(ledger_entries.c.seq).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total), await standing(session, application_id)
