"""Review rounds (评审批次) of year-round calls (S0 二(一) 全年开放申报): publicity round by round.

A year-round call never closes intake, so its results cannot wait for a closing date. A city officer closes a round:
the applications submitted by then and not yet in a round (submitted, in the formal check or in expert review) form
its batch, which goes to review; the round's publicity ranks and lists exactly that batch, and only once every
application of the batch still in review has a complete review. Applications submitted after the round closed wait
for the next one; intake stays open throughout. An application the formal check returns stays in its round if it is
resubmitted before the round's publicity (which then waits for its review); still returned then, it is left out and,
resubmitted, joins the next round closed. One round waits for its publicity at a time; a round whose applications
were all withdrawn or returned lapses when the next one is closed.

Publishing a year-round call with no round closed closes one on the spot, whose batch is the applications ready to be
ranked then (what publishing did before rounds were recorded). A dated call has no rounds: it is published once,
after intake closes. They take a session and never commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.errors import conflict

from ..adapters.call_tables import applications, review_rounds
from ..domain.call_application_state import ApplicationState
from ..domain.call_state import CallState

# Where an application of a batch is before its round is published: the states that block publishing until reviewed.
_IN_ROUND = (ApplicationState.SUBMITTED.value, ApplicationState.FORMAL_CHECK.value, ApplicationState.EXPERT_REVIEW.value)


def year_round(call: Mapping[str, Any]) -> bool:
    return call["closes_on"] is None


async def pending_round(session: AsyncSession, call_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    """The round closed and waiting for its publicity, if any."""
    query = select(review_rounds).where(review_rounds.c.call_id == call_id, review_rounds.c.state == "closed")
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    return dict(row) if row else None


async def list_rounds(session: AsyncSession, call_id: str) -> list[dict[str, Any]]:
    found = await session.execute(select(review_rounds).where(review_rounds.c.call_id == call_id).order_by(review_rounds.c.number))
    return [dict(r) for r in found.mappings()]


async def _next_number(session: AsyncSession, call_id: str) -> int:
    last = (await session.execute(select(func.max(review_rounds.c.number)).where(review_rounds.c.call_id == call_id))).scalar_one()
    return int(last or 0) + 1


async def _insert_round(
    session: AsyncSession, actor: Actor, call: Mapping[str, Any], ids: Sequence[str], *, on: date, state: str,
    publicity_id: str | None = None,
) -> dict[str, Any]:
    values = {"id": str(uuid.uuid4()), "call_id": call["id"], "number": await _next_number(session, call["id"]), "state": state,
              "closed_on": on, "closed_by": actor.id, "application_ids": list(ids), "publicity_id": publicity_id, "version": 1}
    row = (await session.execute(review_rounds.insert().values(**values).returning(review_rounds))).mappings().one()
    if ids:  # each application changes (it now belongs to a round), so its version and ETag do
        await session.execute(update(applications).where(applications.c.id.in_(list(ids)))
                              .values(review_round_id=values["id"], version=applications.c.version + 1, updated_at=func.now()))
    await audit(session, actor, "review_round.close", "review_round", values["id"], after=dict(row))
    return dict(row)


async def close_round(session: AsyncSession, actor: Actor, call: Mapping[str, Any], *, on: date) -> dict[str, Any]:
    """Close the next round of a year-round call (the call's row locked by the caller): its batch goes to review."""
    if not year_round(call):
        raise conflict("call_not_year_round", "限期征集在截止后统一评审公示，不分批次", "only a year-round call is reviewed in rounds",
                       closes_on=call["closes_on"].isoformat())
    if call["state"] != CallState.OPEN.value:
        raise conflict("call_not_open", "该征集未在征集中", "the call is not taking applications", state=call["state"])
    waiting = await pending_round(session, call["id"], lock=True)
    if waiting is not None and await _live_members(session, waiting):
        raise conflict("review_round_pending", f"第{waiting['number']}批评审结果尚未公示，不能截止下一批",
                       f"round {waiting['number']} has not been publicised yet", round_id=waiting["id"])
    if waiting is not None:  # every application of it was withdrawn or returned: nothing is left to publicise
        await _lapse(session, actor, waiting)
    done = select(review_rounds.c.id).where(review_rounds.c.call_id == call["id"], review_rounds.c.state != "closed")
    found = await session.execute(
        select(applications.c.id)
        .where(applications.c.call_id == call["id"], applications.c.state.in_(_IN_ROUND),
               # a returned application resubmitted after its round was publicised joins this one
               or_(applications.c.review_round_id.is_(None), applications.c.review_round_id.in_(done)))
        .order_by(applications.c.submitted_at, applications.c.id).with_for_update())
    ids = [application_id for (application_id,) in found.all()]
    if not ids:
        raise conflict("review_round_empty", "自上一批次以来没有新提交的申报", "no application was submitted since the last round")
    return await _insert_round(session, actor, call, ids, on=on, state="closed")


async def _live_members(session: AsyncSession, round_: Mapping[str, Any]) -> list[str]:
    found = await session.execute(select(applications.c.id).where(applications.c.review_round_id == round_["id"],
                                                                  applications.c.state.in_(_IN_ROUND)))
    return [application_id for (application_id,) in found.all()]


async def _lapse(session: AsyncSession, actor: Actor, round_: Mapping[str, Any]) -> None:
    values = {"state": "lapsed", "version": round_["version"] + 1}
    row = (await session.execute(update(review_rounds).where(review_rounds.c.id == round_["id"]).values(**values)
                                 .returning(review_rounds))).mappings().one()
    await audit(session, actor, "review_round.lapse", "review_round", round_["id"], before=dict(round_), after=dict(row))


def round_batch(round_: Mapping[str, Any] | None) -> set[str] | None:
    """The applications a publicity may rank: the pending round's batch (None: no round restricts it)."""
    return None if round_ is None else set(round_["application_ids"])


async def round_unfinished(session: AsyncSession, round_: Mapping[str, Any]) -> list[str]:
    """Applications of the batch not yet through the formal check (expert review's completeness is the caller's)."""
    found = await session.execute(select(applications.c.id).where(
        applications.c.review_round_id == round_["id"],
        applications.c.state.in_((ApplicationState.SUBMITTED.value, ApplicationState.FORMAL_CHECK.value))))
    return sorted(application_id for (application_id,) in found.all())


async def record_round_publicity(
    session: AsyncSession, actor: Actor, call: Mapping[str, Any], round_: Mapping[str, Any] | None, publicity_id: str,
    ranked_ids: Sequence[str], *, on: date,
) -> dict[str, Any]:
    """The round a year-round call's publicity belongs to: the pending one, now published, or one closed on the spot."""
    if round_ is None:
        return await _insert_round(session, actor, call, ranked_ids, on=on, state="published", publicity_id=publicity_id)
    values = {"state": "published", "publicity_id": publicity_id, "version": round_["version"] + 1}
    row = (await session.execute(update(review_rounds).where(review_rounds.c.id == round_["id"]).values(**values)
                                 .returning(review_rounds))).mappings().one()
    await audit(session, actor, "review_round.publish", "review_round", round_["id"], before=dict(round_), after=dict(row))
    return dict(row)
