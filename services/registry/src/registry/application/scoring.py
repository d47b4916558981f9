"""Scoring (评分): each expert scores every criterion of the call's rubric with a comment; when the whole panel has
scored, the scores are aggregated by ``domain.review.aggregate_scores`` (mean, dropping the highest and the lowest
with five or more experts; flagged for the chair when the experts disagree beyond the call's spread). The chair
confirms a flagged result before it can be ranked. Also each expert's backlog. They take a session and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.errors import DomainError, Problem, conflict, forbidden

from ..adapters.call_tables import applications, calls, panel_members
from ..domain.call_application_state import ApplicationState
from ..domain.review import ExpertScore, aggregate_scores
from .assignments import active_members
from .call_applications import store_application
from .calls import call_rubric
from .notifications import cancel_reminders


def review_complete(application: Mapping[str, Any]) -> bool:
    """Ready to be ranked: aggregated, and confirmed by the chair when flagged."""
    if application["final_score"] is None:
        return False
    return not application["needs_chair_review"] or application["chair_confirmed_at"] is not None


def _in_review(application: Mapping[str, Any]) -> None:
    if application["state"] != ApplicationState.EXPERT_REVIEW.value:
        raise conflict("not_in_expert_review", "申报未处于专家评审阶段", "the application is not in expert review",
                       state=application["state"])


async def submit_scores(
    session: AsyncSession, actor: Actor, call: Mapping[str, Any], application: Mapping[str, Any], *,
    scores: Mapping[str, Decimal], comments: Mapping[str, str],
) -> dict[str, Any]:
    """Record (or revise, until the panel's result is ranked) one expert's scores."""
    _in_review(application)
    members = await active_members(session, application["id"])
    me = next((m for m in members if m["expert_id"] == actor.id), None)
    if me is None:
        raise forbidden("您不是该申报的评审专家", "you are not on this application's panel")
    rubric = call_rubric(call)
    try:
        checked = rubric.check_scores(scores)
        total = rubric.total(checked)
    except DomainError as exc:
        raise exc.at("body") from exc
    missing = [c for c in rubric.criteria if not (comments.get(c.code) or "").strip()]
    extra = sorted(set(comments) - set(rubric.codes))
    if missing or extra:
        problems = [Problem(f"body.comments.{c.code}", "comment_required", f"请填写“{c.name_zh}”的评审意见",
                            f"a comment on {c.code} is required")
                    for c in missing]
        problems += [Problem(f"body.comments.{code}", "unknown_criterion", "评审意见对应的指标不存在",
                             f"no criterion {code}") for code in extra]
        raise DomainError("comments_required", "每项指标都须填写评审意见", "every criterion needs a comment", problems=problems)
    sheet = {"status": "scored", "scores": {k: str(v) for k, v in checked.items()},
             "comments": {c.code: comments[c.code].strip() for c in rubric.criteria}, "total": total}
    await session.execute(update(panel_members).where(panel_members.c.id == me["id"]).values(**sheet, scored_at=func.now()))
    await audit(session, actor, "panel_member.score", "panel_member", me["id"],
                before={k: me[k] for k in ("status", "scores", "comments", "total")}, after=sheet)
    await cancel_reminders(session, ref_id=application["id"], account_id=actor.id)
    return await _aggregate(session, actor, call, application)


async def _aggregate(session: AsyncSession, actor: Actor, call: Mapping[str, Any], application: Mapping[str, Any]) -> dict[str, Any]:
    members = await active_members(session, application["id"])
    values: dict[str, Any] = {"final_score": None, "score_spread": None, "criterion_means": None, "needs_chair_review": False,
                              "chair_confirmed_at": None, "chair_comment": None}
    if all(m["status"] == "scored" for m in members):
        scored = [ExpertScore(m["expert_id"], {k: Decimal(v) for k, v in m["scores"].items()}) for m in members]
        try:
            result = aggregate_scores(application["id"], call_rubric(call), scored, spread_limit=Decimal(call["spread_limit"]),
                                      panel_members=[m["expert_id"] for m in members])
        except DomainError as exc:
            raise exc.at("body") from exc
        values.update(final_score=result.final_score, score_spread=result.spread, needs_chair_review=result.needs_chair_review,
                      criterion_means=[str(m) for m in result.criterion_means])
    return await store_application(session, actor, application, "application.score", **values)


async def confirm_as_chair(session: AsyncSession, actor: Actor, application: Mapping[str, Any], *, comment: str) -> dict[str, Any]:
    """The chair confirms a result whose experts disagreed beyond the call's spread (after discussing it)."""
    _in_review(application)
    members = await active_members(session, application["id"])
    if not any(m["expert_id"] == actor.id and m["chair"] for m in members):
        raise forbidden("只有评审组组长可以确认", "only the panel's chair may confirm")
    if application["final_score"] is None or not application["needs_chair_review"]:
        raise conflict("nothing_to_confirm", "该申报无需组长确认（尚未评完或分差未超限）",
                       "nothing to confirm: the panel has not finished, or the experts agree")
    if application["chair_confirmed_at"] is not None:
        raise conflict("already_confirmed", "组长已确认", "the chair has already confirmed")
    return await store_application(session, actor, application, "application.chair_confirm", chair_confirmed_at=func.now(),
                                   chair_comment=comment.strip())


def _status(member: Mapping[str, Any], on: date) -> str:
    if member["status"] == "scored":
        return "scored"
    return "overdue" if member["due_on"] < on else "assigned"


async def expert_backlog(session: AsyncSession, actor: Actor, *, on: date) -> dict[str, Any]:
    """What an expert has on their desk: assigned, scored, and overdue (not scored by the due date)."""
    found = await session.execute(
        select(panel_members, applications.c.title.label("application_title"), applications.c.state.label("application_state"),
               calls.c.title.label("call_title"))
        .join(applications, applications.c.id == panel_members.c.application_id).join(calls, calls.c.id == panel_members.c.call_id)
        .where(panel_members.c.expert_id == actor.id, panel_members.c.status != "declined")
        .order_by(panel_members.c.due_on, panel_members.c.assigned_at))
    items = []
    for row in found.mappings():
        status = _status(dict(row), on)
        if status != "scored" and row["application_state"] != ApplicationState.EXPERT_REVIEW.value:
            continue  # withdrawn or otherwise ended: nothing left to do
        items.append({"application_id": row["application_id"], "call_id": row["call_id"], "call_title": row["call_title"],
                      "application_title": row["application_title"], "chair": row["chair"], "due_on": row["due_on"],
                      "status": status, "scored_at": row["scored_at"], "total": row["total"]})
    counts = {s: sum(1 for i in items if i["status"] == s) for s in ("assigned", "scored", "overdue")}
    return {"items": items, "counts": counts, "as_of": on}


def panel_view(application: Mapping[str, Any], members: list[dict[str, Any]], actor: Actor, *, official: bool) -> dict[str, Any]:
    """Officials and the chair see every member's scores; another member sees their own line only."""
    chair = any(m["expert_id"] == actor.id and m["chair"] for m in members)
    shown = members if official or chair else [m for m in members if m["expert_id"] == actor.id]
    lines = [{k: m[k] for k in ("expert_id", "chair", "status", "due_on", "scores", "comments", "total", "scored_at", "decline_reason")}
             for m in shown]
    view: dict[str, Any] = {"application_id": application["id"], "members": lines, "final_score": application["final_score"],
                            "score_spread": application["score_spread"], "needs_chair_review": application["needs_chair_review"],
                            "chair_confirmed_at": application["chair_confirmed_at"]}
    if official and application["panel"] is not None:
        # the draw's seeds are 62-bit: strings in HTTP, so that JavaScript keeps them exactly
        draw = dict(application["panel"])
        view["draw"] = draw | {k: str(draw[k]) for k in ("call_seed", "seed") if isinstance(draw.get(k), int)}
    elif official:
        view["draw"] = None
    return view
