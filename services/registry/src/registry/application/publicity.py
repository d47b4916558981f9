"""Publicity (公示) and the final decision.

A city officer publishes the ranked result of the applications whose review is complete (``rank_and_cut`` with the
call's cut rule, and the recorded tie-break when applications tie at the quota line — ``tie_breaks``): those above the
cut go into publicity for the configured number of working days (the jurisdiction's holiday calendar), the others are
decided as not selected at once. The publicity list is public. The decision is final only after the last day of
publicity and with no objection open; finalising selects every application still in publicity and grants each the
jurisdiction's title of the call's kind, valid from that day. Reminders of the period's end: ``deadlines``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.contracts.registry import APPLICATION_DECIDED, ApplicationDecided
from sihua_shared.errors import conflict, not_found
from sihua_shared.jurisdiction import Jurisdiction
from sihua_shared.outbox import record_event

from ..adapters.call_tables import applications, objections, publicities
from ..domain.call_application_state import ApplicationAction, ApplicationState
from ..domain.call_state import CallState
from ..domain.ranking import CutOutcome
from .call_application_actions import next_state
from .call_applications import find_application, store_application
from .deadlines import cancel_publicity_reminders, schedule_publicity_reminders, working_calendar
from .review_rounds import pending_round, record_round_publicity, round_unfinished, year_round
from .scoring import review_complete
from .tie_breaks import apply_tie_break, current_cut, matches, pending_tie_break, settled_cut, supersede_tie_break
from .titles import grant_title_to


async def decide(
    session: AsyncSession, actor: Actor, application: Mapping[str, Any], action: ApplicationAction, *, on: date, **values: Any
) -> dict[str, Any]:
    """Select or reject, with the ``application.decided`` fact."""
    state = next_state(application, action)
    row = await store_application(session, actor, application, f"application.{action.value}", state=state.value, decided_on=on, **values)
    payload = ApplicationDecided(
        application_id=row["id"], call_id=row["call_id"], organisation_id=row["organisation_id"], decision=state.value,  # type: ignore[arg-type]
        final_score=None if row["final_score"] is None else str(row["final_score"]), rank=row["rank"], version=row["version"])
    await record_event(session, APPLICATION_DECIDED, payload, subject=row["id"], aggregate_version=row["version"])
    return row


async def running_publicity(session: AsyncSession, call_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    query = select(publicities).where(publicities.c.call_id == call_id, publicities.c.state == "running")
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    return dict(row) if row else None


async def latest_publicity(session: AsyncSession, call_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(publicities).where(publicities.c.call_id == call_id).order_by(publicities.c.created_at.desc()).limit(1)
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise not_found("publicity", call_id)
    return dict(row)


async def publish_result(
    session: AsyncSession, actor: Actor, call: Mapping[str, Any], *, on: date, jurisdiction: Jurisdiction, working_days: int | None,
) -> dict[str, Any]:
    if call["closes_on"] is not None and call["state"] != CallState.CLOSED.value and on <= call["closes_on"]:
        raise conflict("intake_not_closed", "限期征集须在征集截止后才能公示", "a dated call's results are published after intake closes",
                       closes_on=call["closes_on"].isoformat())
    if await running_publicity(session, call["id"]) is not None:
        raise conflict("publicity_running", "本征集已有正在公示的结果", "a publicity of this call is already running")
    round_ = await pending_round(session, call["id"], lock=True) if year_round(call) else None
    cut = await current_cut(session, call)
    if round_ is not None:
        # the round's publicity covers its whole batch: every application of it still in review is reviewed first
        waiting = await round_unfinished(session, round_) + [a["id"] for a in cut.in_review if not review_complete(a)]
        if waiting:
            raise conflict("review_round_not_reviewed", f"第{round_['number']}批尚有申报未完成评审，不能公示",
                           f"round {round_['number']} still has applications under review", waiting=sorted(waiting),
                           round_id=round_["id"])
    if not cut.ready:
        raise conflict("nothing_to_publish", "没有已完成评审的申报", "no application has a complete review",
                       waiting=[a["id"] for a in cut.in_review])
    tie_break = await pending_tie_break(session, call["id"])
    if tie_break is not None and not cut.tied:  # the tie it settled is gone (an application withdrawn, say)
        await supersede_tie_break(session, actor, tie_break)
        tie_break = None
    if cut.tied:
        if not matches(tie_break, cut.tied):
            raise conflict("tie_at_cut", "入选名额线上存在同分申报，须由评审组组长或市级主管部门记录排序决定后再公示",
                           "applications tie across the quota line: the panel chair or a city officer must record a tie-break first "
                           f"(POST /calls/{call['id']}/tie-breaks)", applications=cut.tied)
        assert tie_break is not None
        cut = settled_cut(call, cut, tie_break)
    ranked, ready, in_review = cut.ranked, cut.ready, cut.in_review
    days = working_days or call["publicity_working_days"] or jurisdiction.publicity_working_days
    ends_on = working_calendar().working_period_end(on, days)
    by_id = {a["id"]: a for a in ready}
    ranking = [{"application_id": r.application_id, "organisation_id": by_id[r.application_id]["organisation_id"],
                "organisation_name": by_id[r.application_id]["organisation_name"], "uscc": by_id[r.application_id]["uscc"],
                "final_score": str(r.final_score), "rank": r.rank, "outcome": r.outcome.value, "outcome_zh": r.outcome.label_zh,
                "by_tie_break": r.by_tie_break}
               for r in ranked]
    publicity_id = str(uuid.uuid4())
    values = {"id": publicity_id, "call_id": call["id"], "state": "running", "starts_on": on, "ends_on": ends_on, "working_days": days,
              "ranking": ranking, "published_by": actor.id, "version": 1}
    await session.execute(publicities.insert().values(**values))
    for r in ranked:
        application = by_id[r.application_id]
        if r.outcome is CutOutcome.SELECTED:
            state = next_state(application, ApplicationAction.SHORTLIST)
            await store_application(session, actor, application, "application.shortlist", state=state.value, rank=r.rank,
                                    publicity_id=publicity_id)
        else:
            await decide(session, actor, application, ApplicationAction.REJECT, on=on, rank=r.rank, publicity_id=publicity_id)
    if tie_break is not None:
        await apply_tie_break(session, actor, tie_break, publicity_id)
    review_round = None
    if year_round(call):
        review_round = await record_round_publicity(session, actor, call, round_, publicity_id, [r.application_id for r in ranked], on=on)
    await audit(session, actor, "publicity.publish", "publicity", publicity_id, after=values)
    await schedule_publicity_reminders(session, call, values, [by_id[r.application_id] for r in ranked if r.outcome is CutOutcome.SELECTED])
    return {**values, "waiting": [a["id"] for a in in_review if not review_complete(a)],
            "tie_break_id": tie_break["id"] if tie_break else None,
            "review_round": None if review_round is None else {"id": review_round["id"], "number": review_round["number"]}}


async def open_objections(session: AsyncSession, publicity_id: str) -> list[str]:
    found = await session.execute(select(objections.c.id).where(objections.c.publicity_id == publicity_id, objections.c.state == "open"))
    return [r[0] for r in found]


async def finalise_publicity(
    session: AsyncSession, actor: Actor, call: Mapping[str, Any], publicity: Mapping[str, Any], *, on: date, jurisdiction: Jurisdiction,
) -> dict[str, Any]:
    if publicity["state"] != "running":
        raise conflict("transition_not_allowed", "该公示已确定结果", "this publicity is already finalised",
                       state=publicity["state"], allowed=[])
    if on <= publicity["ends_on"]:
        raise conflict("publicity_not_over", f"公示期至 {publicity['ends_on'].isoformat()} 结束，期满后方可确定结果",
                       f"publicity runs until {publicity['ends_on'].isoformat()}", ends_on=publicity["ends_on"].isoformat())
    pending = await open_objections(session, publicity["id"])
    if pending:
        raise conflict("objection_open", f"尚有{len(pending)}件异议未处理，不能确定结果", "objections are still open", objections=pending)
    found = await session.execute(select(applications.c.id).where(applications.c.publicity_id == publicity["id"],
                                                                  applications.c.state == ApplicationState.PUBLICITY.value)
                                  .order_by(applications.c.rank, applications.c.id))
    decided, titles = [], []
    for (application_id,) in found.all():
        application = await find_application(session, application_id, lock=True)
        decided.append(await decide(session, actor, application, ApplicationAction.SELECT, on=on))
        titles.append(await grant_title_to(session, actor, jurisdiction, organisation_id=application["organisation_id"], kind=call["kind"],
                                           valid_from=on, call_id=call["id"], application_id=application_id))
    values = {"state": "finalised", "decided_on": on, "version": publicity["version"] + 1}
    row = (await session.execute(update(publicities).where(publicities.c.id == publicity["id"]).values(**values)
                                 .returning(publicities))).mappings().one()
    await cancel_publicity_reminders(session, publicity["id"], [r["application_id"] for r in publicity["ranking"]])
    await audit(session, actor, "publicity.finalise", "publicity", publicity["id"], before=dict(publicity), after=dict(row))
    return {"publicity": dict(row), "selected": [d["id"] for d in decided], "titles": titles}


async def publicity_list(session: AsyncSession, publicity: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The proposed selection as published (拟入选名单), with each application's status now."""
    shortlisted = [r for r in publicity["ranking"] if r["outcome"] == CutOutcome.SELECTED.value]
    states = dict((await session.execute(select(applications.c.id, applications.c.state)
                                         .where(applications.c.id.in_([r["application_id"] for r in shortlisted])))).all())
    return [{**r, "status": states[r["application_id"]], "status_zh": ApplicationState(states[r["application_id"]]).label_zh}
            for r in shortlisted]
