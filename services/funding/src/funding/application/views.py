"""Officials' views (资金管理看板): queues by state (applications, projects, payment orders, claw-backs), budget use
per fund source and measure, and the forecast per fund source and month.

Read only; take a session and never commit. Each count is over what the official sees (a district officer its
district; the city, finance and auditors everything).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import where
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.errors import forbidden

from ..adapters.budget_tables import budget_entries, budgets
from ..adapters.funding_tables import applications
from ..adapters.payment_tables import clawbacks, payment_orders
from ..adapters.project_tables import acceptance_batches, projects
from ..domain import access as policy
from ..domain.budgets import Slot, SplitIncomplete, split
from ..domain.engine import floor_fen
from . import budgets as budget_uc
from . import payments
from . import projects as project_uc

OFFICIALS = ("district_officer", "city_officer", "finance", "auditor")


def ensure_official(actor: Actor) -> None:
    if not actor.has(*OFFICIALS):
        raise forbidden("看板由区、市级官员、财政部门或审计查看", "officials, finance and auditors see the dashboards")


async def _by_state(session: AsyncSession, table: Any, scope: Any, columns: Any) -> dict[str, int]:
    rows = await session.execute(select(table.c.state, func.count()).where(where(scope, columns)).group_by(table.c.state))
    return {state: int(n) for state, n in rows.all()}


async def queues(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    """How many of each are in each state, and the oldest waiting item's day where a decision is due."""
    ensure_official(actor)
    subsidies = policy.subsidies(actor)
    out = {
        "applications": await _by_state(session, applications, policy.applications(actor), payments.APPLICATION_COLUMNS),
        "projects": await _by_state(session, projects, policy.projects(actor), project_uc.COLUMNS),
        "payment_orders": await _by_state(session, payment_orders, subsidies, payments.COLUMNS),
        "clawbacks": await _by_state(session, clawbacks, subsidies, payments.CLAWBACK_COLUMNS),
    }
    waiting = {
        "applications_to_review": (applications, "submitted", applications.c.submitted_on, payments.APPLICATION_COLUMNS, subsidies),
        "applications_to_approve": (applications, "reviewed", applications.c.reviewed_on, payments.APPLICATION_COLUMNS, subsidies),
        "orders_to_pay": (payment_orders, "ordered", payment_orders.c.ordered_on, payments.COLUMNS, subsidies),
        "clawbacks_open": (clawbacks, "open", clawbacks.c.opened_on, payments.CLAWBACK_COLUMNS, subsidies),
    }
    oldest = {}
    for name, (table, state, day, columns, scope) in waiting.items():
        found = (await session.execute(select(func.min(day)).where(table.c.state == state).where(where(scope, columns)))).scalar()
        oldest[name] = found
    return {**out, "oldest_waiting": oldest}


async def budget_use(session: AsyncSession, actor: Actor, *, year: int | None) -> list[dict[str, Any]]:
    """Per fund source and measure (and year): the budgets' amount, reserved, paid, remaining, and how many awards."""
    if not actor.has("finance", "city_officer", "auditor", "district_officer"):
        raise forbidden("资金池由财政部门、市级官员或审计查看", "finance, the city and auditors see budgets")
    query = budget_uc.visible(actor)
    if year is not None:
        query = query.where(budgets.c.year == year)
    rows = (await session.execute(query)).mappings().all()
    out: dict[tuple[int, str, str], dict[str, Any]] = {}
    for r in rows:
        key = (int(r["year"]), r["fund_source"], r["measure_id"])
        item = out.setdefault(key, {"year": key[0], "fund_source": key[1], "measure_id": key[2], "amount_fen": 0, "reserved_fen": 0,
                                    "paid_fen": 0, "remaining_fen": 0, "budgets": 0, "awards": set()})
        for k in ("amount_fen", "reserved_fen", "paid_fen", "remaining_fen"):
            item[k] += int(r[k])
        item["budgets"] += 1
    if rows:
        ids = [r["id"] for r in rows]
        entries = await session.execute(select(budget_entries.c.budget_id, budget_entries.c.application_id).where(
            budget_entries.c.budget_id.in_(ids), budget_entries.c.kind == "reserve"))
        by_id = {r["id"]: (int(r["year"]), r["fund_source"], r["measure_id"]) for r in rows}
        for budget_id, application_id in entries.all():
            out[by_id[budget_id]]["awards"].add(application_id)
    result = []
    for key in sorted(out):
        item = out[key]
        amount = item["amount_fen"]
        used = item["reserved_fen"] + item["paid_fen"]
        result.append({**item, "awards": len(item["awards"]),
                       "used_permille": (used * 1000 // amount) if amount else None})
    return result


# ---- forecast (issue 14 §7) ------------------------------------------------------------------------------------------

def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _next_month(day: date) -> str:
    return _month(date(day.year + (day.month == 12), day.month % 12 + 1, 1))


async def _shares(session: AsyncSession, measure_id: str, year: int, district: str | None) -> list[tuple[str, int]]:
    """The fund sources' shares (basis points) for a measure and year; the whole ``unassigned`` when none is set."""
    rows = (await session.execute(select(budgets.c.fund_source, budgets.c.share_bp).where(
        budgets.c.measure_id == measure_id, budgets.c.year == year,
        budgets.c.district.in_(["", district or ""])))).all()
    return [(s, int(bp)) for s, bp in rows] or [("unassigned", 10_000)]


def split_by_shares(amount: int, shares: list[tuple[str, int]]) -> dict[str, int]:
    """Each fund source's part of an amount (the budgets' split, domain/budgets.py); all ``unassigned`` when the
    shares do not add up to the whole."""
    try:
        parts = split(amount, [Slot(source, bp, amount) for source, bp in shares])
    except SplitIncomplete:
        return {"unassigned": amount}
    out: dict[str, int] = {}
    for slot, part in parts:
        out[slot.budget_id] = out.get(slot.budget_id, 0) + part
    return out


def _spread(cells: dict[tuple[str, str], dict[str, int]], month: str, shares: list[tuple[str, int]], kind: str, amount: int) -> None:
    for source, part in split_by_shares(amount, shares).items():
        cell = cells.setdefault((source, month), {"committed_fen": 0, "in_progress_fen": 0, "pending_acceptance_fen": 0,
                                                  "likely_clawback_fen": 0})
        cell[kind] += part


async def forecast(session: AsyncSession, actor: Actor, *, rate: Fraction, cap_fen: int, measure_id: str) -> dict[str, Any]:
    """Per fund source and month, what the funds are expected to pay (see ESTIMATES)."""
    if not actor.has("finance", "city_officer", "auditor"):
        raise forbidden("资金预测由财政部门、市级官员或审计查看", "finance, the city and auditors see the forecast")
    today = business_clock(session).today()
    cells: dict[tuple[str, str], dict[str, int]] = {}
    # committed: what budgets hold reserved for approved awards, in the month of its open order, else next month
    held = await session.execute(select(budget_entries.c.application_id, budgets.c.fund_source,
                                        func.sum(budget_entries.c.amount_fen).filter(budget_entries.c.kind.in_(("reserve", "restore"))),
                                        func.sum(budget_entries.c.amount_fen).filter(budget_entries.c.kind.in_(("consume", "unreserve"))))
                                 .join(budgets, budgets.c.id == budget_entries.c.budget_id)
                                 .group_by(budget_entries.c.application_id, budgets.c.fund_source))
    for application_id, source, plus, minus in held.all():
        amount = int(plus or 0) - int(minus or 0)
        if amount <= 0:
            continue
        ordered = (await session.execute(select(func.min(payment_orders.c.ordered_on)).where(
            payment_orders.c.application_id == application_id, payment_orders.c.state == "ordered"))).scalar()
        _spread(cells, _month(ordered) if ordered else _next_month(today), [(source, 10_000)], "committed_fen", amount)
    # projects in progress and pending acceptance: the subsidy they would earn at the measure's rate and cap
    running = (await session.execute(select(projects).where(projects.c.state.in_(
        ("investment_approved", "in_progress", "completed", "acceptance_applied"))))).mappings().all()
    batches = {b["id"]: b for b in (await session.execute(select(acceptance_batches))).mappings().all()}
    for p in running:
        base = int(p["approved_investment_fen"] or p["declared_investment_fen"] or 0)
        if p["state"] == "acceptance_applied":
            base = min(base, int(p["invoiced_fen"] or base))
            batch = batches.get(p["batch_id"])
            month = _next_month(batch["closes_on"]) if batch else _next_month(today)
            kind = "pending_acceptance_fen"
        else:
            month, kind = "later", "in_progress_fen"
        amount = min(floor_fen(base, rate), cap_fen)
        if amount > 0:
            _spread(cells, month, await _shares(session, measure_id, today.year, p["district"]), kind, amount)
    # likely claw-back: what open claw-backs still have to recover (coming back), next month
    open_claws = (await session.execute(select(clawbacks).where(clawbacks.c.state == "open"))).mappings().all()
    for c in open_claws:
        app = (await session.execute(select(applications.c.measure_id, applications.c.decided_on).where(
            applications.c.id == c["application_id"]))).one()
        outstanding = int(c["amount_fen"]) - int(c["recovered_fen"])
        year = app.decided_on.year if app.decided_on else today.year
        _spread(cells, _next_month(today), await _shares(session, app.measure_id, year, c["district"]), "likely_clawback_fen",
                outstanding)
    rows = [{"fund_source": s, "month": m, **v, "net_fen": v["committed_fen"] + v["in_progress_fen"] + v["pending_acceptance_fen"]
             - v["likely_clawback_fen"]} for (s, m), v in sorted(cells.items())]
    return {"as_of": today, "items": rows, "estimates": ESTIMATES}


ESTIMATES = {
    "committed_fen": "已审批未支付：资金池为该奖补预留的额度（按资金来源），计入已下达拨付指令的月份，未下达的计入下月",
    "in_progress_fen": ("实施中的改造项目：核定投入（未核定时为申报投入）× 该措施比例上限，且不超过单户上限；"
                        "按资金来源分担比例拆分；月份未定（later）"),
    "pending_acceptance_fen": "已申请验收的项目：min(核定投入, 发票金额) × 比例上限，不超过单户上限；计入验收批次截止后的下月",
    "likely_clawback_fen": "未结清的追回：尚待收回的金额（抵扣或退回），按原奖补措施的分担比例拆分，计入下月（为资金流入，净额中扣减）",
}


TRANSFORMATION = "s2-transformation"


def transformation_terms(in_force: dict[str, Any]) -> dict[str, Any]:
    """The rate and the highest cap of the transformation subsidy in force (S2 四(一)1), which the forecast applies
    to projects; none (rate 0) where no policy in force has the measure."""
    for version in in_force.values():
        measure = version.document.measure(TRANSFORMATION)
        if measure is not None and measure.rate_fraction is not None:
            figures = [c.amount_fen for c in measure.caps if c.amount_fen is not None]
            figures += [v for c in measure.caps for v in (c.amounts_fen or {}).values()]
            return {"rate": measure.rate_fraction, "cap_fen": max(figures, default=0), "measure_id": TRANSFORMATION}
    return {"rate": Fraction(0), "cap_fen": 0, "measure_id": TRANSFORMATION}
