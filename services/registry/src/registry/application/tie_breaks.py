"""The cut of a call as it stands, and the tie-breaks (同分排序) that settle a tie at the quota line.

When applications tie across the quota line even after the per-criterion means, the result cannot be published
(``tie_at_cut``). The panel chair — an expert who chairs the panel of every tied application, so was checked for
conflicts against each of them — or a city officer records the decision: an explicit order of exactly the tied
applications with a written reason (by the per-criterion means, a further vote of the panel recorded as text…).
Publishing then ranks the tied group in that order (``domain.ranking.rank_and_cut``). One decision is pending per
call; a record for a tie that has since changed (scores revised, a withdrawal) is superseded by the next one.
They take a session and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.errors import DomainError, conflict, forbidden

from ..adapters.call_tables import applications, panel_members, tie_breaks
from ..domain import access as policy
from ..domain.call_application_state import ApplicationState
from ..domain.ranking import CutRule, RankedApplication, ScoredApplication, rank_and_cut, tie_order_errors, tied_at_cut
from .call_applications import find_application
from .review_rounds import pending_round, round_batch, year_round
from .scoring import review_complete

METHODS = {"criterion_means": "按分项平均分排序", "panel_vote": "评审组投票", "other": "其他方式"}


@dataclass(frozen=True)
class Cut:
    """The applications of a call in expert review (locked), those ready to be ranked, and their ranking."""

    in_review: list[dict[str, Any]]
    ready: list[dict[str, Any]]
    ranked: list[RankedApplication]

    @property
    def tied(self) -> list[str]:
        return tied_at_cut(self.ranked)


def _scored(ready: Sequence[Mapping[str, Any]]) -> list[ScoredApplication]:
    return [ScoredApplication(a["id"], Decimal(a["final_score"]), tuple(Decimal(m) for m in a["criterion_means"] or ())) for a in ready]


async def current_cut(session: AsyncSession, call: Mapping[str, Any]) -> Cut:
    """The cut over the applications in expert review; for a year-round call with a round closed, over its batch only."""
    query = select(applications.c.id).where(applications.c.call_id == call["id"],
                                            applications.c.state == ApplicationState.EXPERT_REVIEW.value)
    if year_round(call):
        batch = round_batch(await pending_round(session, call["id"]))
        if batch is not None:
            query = query.where(applications.c.id.in_(sorted(batch)))
    found = await session.execute(query.order_by(applications.c.id))
    in_review = [await find_application(session, application_id, lock=True) for (application_id,) in found.all()]
    ready = [a for a in in_review if review_complete(a)]
    return Cut(in_review, ready, rank_and_cut(_scored(ready), CutRule(call["pass_mark"], call["quota"])))


def settled_cut(call: Mapping[str, Any], cut: Cut, tie_break: Mapping[str, Any]) -> Cut:
    """The cut with the recorded order of the tied group applied."""
    ranked = rank_and_cut(_scored(cut.ready), CutRule(call["pass_mark"], call["quota"]), tie_order=tie_break["application_ids"])
    return Cut(cut.in_review, cut.ready, ranked)


async def pending_tie_break(session: AsyncSession, call_id: str) -> dict[str, Any] | None:
    query = select(tie_breaks).where(tie_breaks.c.call_id == call_id, tie_breaks.c.state == "recorded").with_for_update()
    row = (await session.execute(query)).mappings().first()
    return dict(row) if row else None


def matches(tie_break: Mapping[str, Any] | None, tied: Sequence[str]) -> bool:
    return tie_break is not None and sorted(tie_break["application_ids"]) == sorted(tied)


async def _chairs(session: AsyncSession, actor: Actor, call_id: str) -> set[str]:
    """The applications of the call whose panel the actor chairs (and has not left)."""
    found = await session.execute(select(panel_members.c.application_id).where(
        panel_members.c.call_id == call_id, panel_members.c.expert_id == actor.id, panel_members.c.chair.is_(True),
        panel_members.c.status != "declined"))
    return {r[0] for r in found}


async def _recorded_as(session: AsyncSession, actor: Actor, call_id: str, tied: Sequence[str]) -> str:
    if policy.settles_ties_as_city(actor):
        return "city_officer"
    chaired = await _chairs(session, actor, call_id) if policy.may_chair_tie_breaks(actor) else set()
    if not chaired or (tied and not set(tied) <= chaired):
        raise forbidden("只有同分申报的评审组组长或市级主管部门可以决定排序",
                        "only the chair of every tied application's panel or a city officer may settle the tie")
    return "chair"


async def _store(session: AsyncSession, actor: Actor, before: Mapping[str, Any], action: str, **values: Any) -> dict[str, Any]:
    values = {**values, "version": before["version"] + 1}
    row = (await session.execute(update(tie_breaks).where(tie_breaks.c.id == before["id"]).values(**values)
                                 .returning(tie_breaks))).mappings().one()
    await audit(session, actor, action, "tie_break", before["id"], before=dict(before), after=dict(row))
    return dict(row)


async def record_tie_break(
    session: AsyncSession, actor: Actor, call: Mapping[str, Any], *, order: Sequence[str], method: str, reason: str,
) -> dict[str, Any]:
    """Record the order of the applications tied at the quota line (the caller holds the call's lock)."""
    await _recorded_as(session, actor, call["id"], ())  # an expert must chair a panel of this call to get further
    cut = await current_cut(session, call)
    if not cut.tied:
        raise conflict("no_tie_at_cut", "入选名额线上没有同分申报，无需决定排序", "no applications tie at the quota line",
                       waiting=[a["id"] for a in cut.in_review if not review_complete(a)])
    recorded_as = await _recorded_as(session, actor, call["id"], cut.tied)
    errors = tie_order_errors(cut.tied, order, "body.order")
    if errors:
        raise DomainError("tie_order_invalid", "排序须恰好包含入选名额线上的全部同分申报",
                          "the order must name exactly the applications tied at the quota line",
                          problems=[p for e in errors for p in e.problems], details={"tied": cut.tied})
    pending = await pending_tie_break(session, call["id"])
    if matches(pending, cut.tied):
        assert pending is not None
        raise conflict("tie_break_recorded", "该同分情形已记录排序决定", "this tie is already settled by a recorded decision",
                       tie_break_id=pending["id"])
    if pending is not None:  # a tie that no longer stands (scores revised, an application withdrawn)
        await supersede_tie_break(session, actor, pending)
    values = {"id": str(uuid.uuid4()), "call_id": call["id"], "application_ids": list(order), "method": method,
              "reason": reason.strip(), "state": "recorded", "recorded_by": actor.id, "recorded_as": recorded_as, "version": 1}
    row = (await session.execute(tie_breaks.insert().values(**values).returning(tie_breaks))).mappings().one()
    await audit(session, actor, "tie_break.record", "tie_break", values["id"], after=dict(row))
    return dict(row)


async def apply_tie_break(session: AsyncSession, actor: Actor, tie_break: Mapping[str, Any], publicity_id: str) -> dict[str, Any]:
    return await _store(session, actor, tie_break, "tie_break.apply", state="applied", publicity_id=publicity_id)


async def supersede_tie_break(session: AsyncSession, actor: Actor, tie_break: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded decision whose tie no longer stands when the result is published."""
    return await _store(session, actor, tie_break, "tie_break.supersede", state="superseded")


async def list_tie_breaks(session: AsyncSession, call_id: str, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    condition = tie_breaks.c.call_id == call_id
    total = (await session.execute(select(func.count()).select_from(tie_breaks).where(condition))).scalar_one()
    found = await session.execute(select(tie_breaks).where(condition).order_by(tie_breaks.c.created_at, tie_breaks.c.id)
                                  .limit(limit).offset(offset))
    return [dict(r) for r in found.mappings()], int(total)


def tie_break_view(row: Mapping[str, Any]) -> dict[str, Any]:
    view = {k: row[k] for k in ("id", "call_id", "method", "reason", "state", "recorded_by", "recorded_as", "publicity_id", "version",
                                "created_at")}
    return {**view, "order": list(row["application_ids"]), "method_zh": METHODS[row["method"]]}
