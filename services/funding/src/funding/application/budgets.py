"""Use cases on budgets (资金池): set per fund source, measure and year by the finance side or the city; approving
an award reserves it, paying consumes it, a claw-back returns it.

Take a session and never commit. ``reserve`` runs inside the approval's transaction: it locks the budgets the award
draws on (``FOR UPDATE``, in id order, so two approvals never deadlock) and refuses (409 ``budget_exhausted``) an
award any source cannot carry; the table's check (reserved + paid <= amount) holds beneath it. A measure with no
budget set for the year is approved without a budget (a reading: budgets are managed where finance has set them).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import Attribute, where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.contracts.funding import BUDGET_EXHAUSTED, BUDGET_RESERVED, BudgetExhausted, BudgetReserved
from sihua_shared.errors import conflict, forbidden, invalid, not_found, stale_version
from sihua_shared.outbox import record_event

from ..adapters.budget_tables import budget_entries, budgets
from ..domain import access as policy
from ..domain.access import DISTRICT
from ..domain.budgets import FUND_SOURCE_ZH, Slot, SplitIncomplete, short, split, take_back

COLUMNS: dict[str, Attribute] = {DISTRICT: budgets.c.district}


def view(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["district"] = row["district"] or None
    return out


def visible(actor: Actor) -> Select[Any]:
    return select(budgets).where(where(policy.budgets(actor), COLUMNS))


async def _reload(session: AsyncSession, budget_id: str) -> dict[str, Any]:
    return view(dict((await session.execute(select(budgets).where(budgets.c.id == budget_id))).mappings().one()))


async def create_budget(session: AsyncSession, actor: Actor, *, year: int, measure_id: str, fund_source: str,
                        district: str | None, amount_fen: int, share_bp: int, document: str | None) -> dict[str, Any]:
    if not actor.has(*policy.BUDGET_MANAGERS):
        raise forbidden("资金池由财政部门或市级官员设定", "a finance or city officer sets budgets")
    if fund_source == "district" and not district:
        raise invalid("body.district", "区级资金须注明所属区", "a district's budget names its district", "district_required")
    if fund_source != "district" and district:
        raise invalid("body.district", "只有区级资金属于某区", "only a district's budget names a district", "district_not_allowed")
    taken = (await session.execute(select(budgets.c.id).where(
        budgets.c.year == year, budgets.c.measure_id == measure_id, budgets.c.fund_source == fund_source,
        budgets.c.district == (district or "")))).first()
    if taken is not None:
        raise conflict("budget_exists", "该措施该年度该资金来源已有资金池", "this source already has a budget for the measure and year",
                       field="body.fund_source", budget_id=taken[0])
    budget_id = str(uuid.uuid4())
    row: dict[str, Any] = {"id": budget_id, "year": year, "measure_id": measure_id, "fund_source": fund_source,
           "district": district or "", "amount_fen": amount_fen, "remaining_fen": amount_fen, "share_bp": share_bp, "document": document,
           "created_by": actor.id}
    await session.execute(budgets.insert().values(**row))
    await audit(session, actor, "funding_budget.create", "funding_budget", budget_id, after=row)
    return await _reload(session, budget_id)


async def change_budget(session: AsyncSession, actor: Actor, budget: dict[str, Any], expected_version: int, *,
                        amount_fen: int, share_bp: int) -> dict[str, Any]:
    """The finance side changes a budget's amount or share; never below what is reserved and paid."""
    if not actor.has(*policy.BUDGET_MANAGERS):
        raise forbidden("资金池由财政部门或市级官员设定", "a finance or city officer sets budgets")
    row = dict((await session.execute(select(budgets).where(budgets.c.id == budget["id"]).with_for_update())).mappings().one())
    if row["version"] != expected_version:
        raise stale_version("funding budget", "资金池")
    if amount_fen < int(row["reserved_fen"]) + int(row["paid_fen"]):
        raise conflict("budget_below_commitments", "资金池金额不得低于已预留与已支付之和",
                       "a budget is never set below what it has reserved and paid", field="body.amount_fen")
    await session.execute(update(budgets).where(budgets.c.id == row["id"]).values(
        amount_fen=amount_fen, remaining_fen=amount_fen - int(row["reserved_fen"]) - int(row["paid_fen"]), share_bp=share_bp,
        version=budgets.c.version + 1))
    saved = await _reload(session, row["id"])
    await audit(session, actor, "funding_budget.change", "funding_budget", row["id"], before=row, after=saved)
    return saved


async def get_budget(session: AsyncSession, actor: Actor, budget_id: str) -> dict[str, Any]:
    row = (await session.execute(visible(actor).where(budgets.c.id == budget_id))).mappings().first()
    if row is None:
        raise not_found("funding budget", budget_id)
    out = view(dict(row))
    entries = await session.execute(select(budget_entries).where(budget_entries.c.budget_id == budget_id)
                                    .order_by(budget_entries.c.created_at, budget_entries.c.id))
    out["entries"] = [dict(e) for e in entries.mappings()]
    return out


async def list_budgets(session: AsyncSession, actor: Actor, *, year: int | None, measure_id: str | None,
                       fund_source: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    query = visible(actor)
    if year is not None:
        query = query.where(budgets.c.year == year)
    if measure_id:
        query = query.where(budgets.c.measure_id == measure_id)
    if fund_source:
        query = query.where(budgets.c.fund_source == fund_source)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(budgets.c.year, budgets.c.measure_id, budgets.c.fund_source, budgets.c.id)
                                 .limit(limit).offset(offset))
    return [view(dict(r)) for r in rows.mappings()], int(total)


def _fact(row: dict[str, Any]) -> dict[str, Any]:
    return {"budget_id": row["id"], "year": row["year"], "measure_id": row["measure_id"], "fund_source": row["fund_source"],
            "district": row["district"] or None, "amount_fen": int(row["amount_fen"])}


async def reserve(session: AsyncSession, actor: Actor, app: dict[str, Any], amount_fen: int, year: int) -> list[dict[str, Any]]:
    """Reserve an approved award on the budgets of its measure and year (the city's, and its district's): each
    source its share. Answers the reservations; none when no budget is set."""
    found = (await session.execute(select(budgets).where(
        budgets.c.measure_id == app["measure_id"], budgets.c.year == year,
        budgets.c.district.in_(["", app["district"] or ""])).order_by(budgets.c.id).with_for_update())).mappings().all()
    if not found:
        return []
    rows = {r["id"]: dict(r) for r in found}
    slots = [Slot(r["id"], int(r["share_bp"]), int(r["remaining_fen"])) for r in rows.values()]
    try:
        parts = split(amount_fen, slots)
    except SplitIncomplete:
        raise conflict("budget_split_incomplete", "各资金来源的分担比例之和须为 100%（由财政部门下达）",
                       "the shares of the fund sources for this measure and year do not add up to the whole",
                       shares={rows[s.budget_id]["fund_source"]: s.share_bp for s in slots}) from None
    lacking = short(parts)
    if lacking:
        names = "、".join(FUND_SOURCE_ZH[rows[s.budget_id]["fund_source"]] for s, _ in lacking)
        raise conflict("budget_exhausted", f"资金池额度不足：{names}", "a budget cannot carry its share of the award",
                       budgets=[{"budget_id": s.budget_id, "fund_source": rows[s.budget_id]["fund_source"], "needed_fen": p,
                                 "remaining_fen": s.remaining_fen} for s, p in lacking])
    out = []
    for slot, part in parts:
        if part == 0:
            continue
        await session.execute(update(budgets).where(budgets.c.id == slot.budget_id).values(
            reserved_fen=budgets.c.reserved_fen + part, remaining_fen=budgets.c.remaining_fen - part,
            version=budgets.c.version + 1))
        await session.execute(budget_entries.insert().values(
            id=str(uuid.uuid4()), budget_id=slot.budget_id, application_id=app["id"], kind="reserve", amount_fen=part,
            created_by=actor.id))
        saved = await _reload(session, slot.budget_id)
        await record_event(session, BUDGET_RESERVED, BudgetReserved(
            **_fact(saved), application_id=app["id"], reserved_now_fen=part, reserved_fen=int(saved["reserved_fen"]),
            paid_fen=int(saved["paid_fen"]), remaining_fen=saved["remaining_fen"]), subject=slot.budget_id,
            aggregate_version=saved["version"])
        if saved["remaining_fen"] == 0:
            await record_event(session, BUDGET_EXHAUSTED, BudgetExhausted(**_fact(saved), application_id=app["id"]),
                               subject=slot.budget_id, aggregate_version=saved["version"])
        await audit(session, actor, "funding_budget.reserve", "funding_budget", slot.budget_id, before=rows[slot.budget_id],
                    after=saved)
        out.append({"budget_id": slot.budget_id, "fund_source": saved["fund_source"], "amount_fen": part})
    return out


async def _held(session: AsyncSession, application_id: str) -> dict[str, dict[str, int]]:
    """Per budget, what it holds for the award: reserved (not yet paid) and paid."""
    rows = (await session.execute(select(budget_entries.c.budget_id, budget_entries.c.kind, func.sum(budget_entries.c.amount_fen))
                                  .where(budget_entries.c.application_id == application_id)
                                  .group_by(budget_entries.c.budget_id, budget_entries.c.kind))).all()
    held: dict[str, dict[str, int]] = {}
    for budget_id, kind, total in rows:
        held.setdefault(budget_id, {"reserve": 0, "consume": 0, "release": 0, "unreserve": 0, "restore": 0})[kind] = int(total)
    return {b: {"reserved": h["reserve"] - h["consume"] - h["unreserve"] + h["restore"],
                "paid": h["consume"] - h["release"] - h["restore"]} for b, h in held.items()}


async def _move(session: AsyncSession, actor: Actor, application_id: str, amount_fen: int, kind: str, reference: str | None,
                holding: str) -> list[dict[str, Any]]:
    held = await _held(session, application_id)
    if not held:
        return []
    ids = sorted(held)
    await session.execute(select(budgets.c.id).where(budgets.c.id.in_(ids)).order_by(budgets.c.id).with_for_update())
    try:
        parts = take_back(amount_fen, [(b, held[b][holding]) for b in ids])
    except ValueError:
        raise conflict("budget_not_held", "金额超过该奖补在资金池中的额度", "more than the budgets hold for the award") from None
    out = []
    for budget_id, part in parts:
        values = MOVES[kind](part)
        before = await _reload(session, budget_id)
        await session.execute(update(budgets).where(budgets.c.id == budget_id).values(**values, version=budgets.c.version + 1))
        await session.execute(budget_entries.insert().values(
            id=str(uuid.uuid4()), budget_id=budget_id, application_id=application_id, kind=kind, amount_fen=part,
            reference=reference, created_by=actor.id))
        await audit(session, actor, f"funding_budget.{kind}", "funding_budget", budget_id, before=before,
                    after=await _reload(session, budget_id))
        out.append({"budget_id": budget_id, "amount_fen": part})
    return out


MOVES: dict[str, Any] = {
    "consume": lambda part: {"reserved_fen": budgets.c.reserved_fen - part, "paid_fen": budgets.c.paid_fen + part},
    "release": lambda part: {"paid_fen": budgets.c.paid_fen - part, "remaining_fen": budgets.c.remaining_fen + part},
    "unreserve": lambda part: {"reserved_fen": budgets.c.reserved_fen - part, "remaining_fen": budgets.c.remaining_fen + part},
    "restore": lambda part: {"paid_fen": budgets.c.paid_fen - part, "reserved_fen": budgets.c.reserved_fen + part},
}


async def held_reserved(session: AsyncSession, application_id: str) -> int:
    """What the budgets still hold reserved (approved, not yet paid) for the award."""
    return sum(h["reserved"] for h in (await _held(session, application_id)).values())


async def unreserve(session: AsyncSession, actor: Actor, application_id: str, amount_fen: int,
                    reference: str | None = None) -> list[dict[str, Any]]:
    """An award recomputed lower: the part of its reservation it no longer needs returns to the budgets."""
    return await _move(session, actor, application_id, amount_fen, "unreserve", reference, "reserved")


async def restore(session: AsyncSession, actor: Actor, application_id: str, amount_fen: int,
                  reference: str | None = None) -> list[dict[str, Any]]:
    """A recovery of money the award still stands for (a first tranche clawed back after a failed progress check,
    the award payable again after acceptance): what was paid is reserved for the award again."""
    return await _move(session, actor, application_id, amount_fen, "restore", reference, "paid")


async def consume(session: AsyncSession, actor: Actor, application_id: str, amount_fen: int,
                  reference: str | None = None) -> list[dict[str, Any]]:
    """A payment of the award: its budgets' reservations become paid, in proportion."""
    return await _move(session, actor, application_id, amount_fen, "consume", reference, "reserved")


async def release(session: AsyncSession, actor: Actor, application_id: str, amount_fen: int,
                  reference: str | None = None) -> list[dict[str, Any]]:
    """A claw-back recovered: what was paid returns to the budgets it came from, in proportion."""
    return await _move(session, actor, application_id, amount_fen, "release", reference, "paid")
