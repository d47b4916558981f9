"""Use cases on results and their due process: notice → rectification window (working days) → re-check → proposed
verdict → one appeal decided by another official → verdict issued (the fact the registry revokes titles on)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import Attribute, where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.evaluation import (
    APPEAL_DECIDED,
    APPEAL_FILED,
    NOTICE_ISSUED,
    RECTIFICATION_DUE,
    VERDICT_ISSUED,
    VERDICT_PROPOSED,
    AppealDecided,
    AppealFiled,
    NoticeIssued,
    RectificationDue,
    VerdictIssued,
    VerdictProposed,
)
from sihua_shared.errors import forbidden, invalid, not_found
from sihua_shared.outbox import record_event

from ..adapters.eval_tables import results
from ..domain import access as policy
from ..domain import results as rules
from ..domain.access import PROVIDER
from .common import calendar, ensure, get_cycle, guarded_update, load_model
from .cycles import cycle_facts, grade_provider, sectors

COLUMNS: dict[str, Attribute] = {PROVIDER: results.c.provider_id}
_WHAT = ("evaluation result", "评价结果")


async def list_results(session: AsyncSession, actor: Actor, *, cycle_id: str | None, state: str | None, limit: int,
                       offset: int) -> tuple[list[dict[str, Any]], int]:
    query = select(results).where(where(policy.results(actor), COLUMNS))
    if cycle_id:
        query = query.where(results.c.cycle_id == cycle_id)
    if state:
        query = query.where(results.c.state == state)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(results.c.created_at, results.c.id).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


async def get_result(session: AsyncSession, actor: Actor, result_id: str) -> dict[str, Any]:
    row = (await session.execute(select(results).where(results.c.id == result_id, where(policy.results(actor), COLUMNS)))
           ).mappings().first()
    if row is None:
        raise not_found("evaluation result", result_id)
    return dict(row)


async def _step(session: AsyncSession, actor: Actor, result: dict[str, Any], action: str, **values: Any) -> dict[str, Any]:
    state = rules.transition(result["state"], action)
    after = await guarded_update(session, results, result, _WHAT, state=state, **values)
    await audit(session, actor, f"evaluation_result.{action}", "evaluation_result", result["id"], before=result, after=after)
    return after


async def notify(session: AsyncSession, actor: Actor, result: dict[str, Any]) -> dict[str, Any]:
    rules.check_notify(result["grade"])
    cycle = await get_cycle(session, result["cycle_id"])
    days = (await load_model(session, cycle["model_version"])).model.parameters.rectification_working_days
    today = business_clock(session).today()
    due = calendar().add_working_days(today, days)
    after = await _step(session, actor, result, "notify", noticed_on=today, rectification_due=due)
    common = {"result_id": result["id"], "cycle_id": result["cycle_id"], "provider_id": result["provider_id"]}
    await record_event(session, NOTICE_ISSUED, NoticeIssued(
        **common, grade=result["grade"], score_milli=result["score_milli"], reasons=result["reasons"], noticed_on=today,
    ), subject=result["id"], aggregate_version=after["version"])
    await record_event(session, RECTIFICATION_DUE, RectificationDue(**common, working_days=days, due_on=due),
                       subject=result["id"], aggregate_version=after["version"])
    return after


async def recheck(session: AsyncSession, actor: Actor, result: dict[str, Any]) -> dict[str, Any]:
    """After the window, recompute from the facts, submissions and findings as they are now; propose the verdict."""
    today = business_clock(session).today()
    rules.check_window_over(today, result["rectification_due"], "整改", "rectification window")
    cycle = await get_cycle(session, result["cycle_id"])
    model = (await load_model(session, cycle["model_version"])).model
    facts = await cycle_facts(session, cycle)
    grading = await grade_provider(session, cycle, model, result["provider_id"], facts, await sectors(session))
    until = calendar().add_working_days(today, model.parameters.appeal_window_working_days)
    after = await _step(session, actor, result, "recheck", grade=grading.grade, score_milli=grading.score_milli,
                        tier=grading.tier, support=grading.support, trace=grading.trace() | {"recheck": True},
                        reasons=grading.reasons(), rechecked_on=today, proposed_by=actor.id, appeal_until=until)
    await record_event(session, VERDICT_PROPOSED, VerdictProposed(
        result_id=result["id"], cycle_id=result["cycle_id"], provider_id=result["provider_id"], grade=grading.grade,  # type: ignore[arg-type]
        score_milli=grading.score_milli, proposed_by=actor.id, appeal_until=until,
    ), subject=result["id"], aggregate_version=after["version"])
    return after


async def appeal(session: AsyncSession, actor: Actor, result: dict[str, Any], reason: str) -> dict[str, Any]:
    ensure(policy.appellants(actor), {PROVIDER: result["provider_id"]},
           forbidden("只有被评价单位可以申诉", "only the evaluated provider appeals"))
    today = business_clock(session).today()
    rules.MACHINE.step(result["state"], "appeal")  # the state first: a second appeal is refused as such
    rules.check_within_appeal_window(today, result["appeal_until"])
    after = await _step(session, actor, result, "appeal", appealed_on=today, appeal_reason=reason)
    await record_event(session, APPEAL_FILED, AppealFiled(
        result_id=result["id"], cycle_id=result["cycle_id"], provider_id=result["provider_id"], filed_on=today,
    ), subject=result["id"], aggregate_version=after["version"])
    return after


async def decide(session: AsyncSession, actor: Actor, result: dict[str, Any], *, upheld: bool, grade: str | None,
                 reason: str) -> dict[str, Any]:
    refusal = rules.check_different_official(actor.id, result["proposed_by"])
    if refusal is not None:
        raise refusal
    if upheld and (grade is None or grade == result["grade"]):
        raise invalid("body.grade", "申诉成立时须给出改变后的等级", "an upheld appeal names the changed grade")
    new_grade = grade if upheld and grade else result["grade"]
    today = business_clock(session).today()
    after = await _step(session, actor, result, "decide", decided_by=actor.id, decided_on=today, appeal_upheld=upheld,
                        decision_reason=reason, grade=new_grade)
    await record_event(session, APPEAL_DECIDED, AppealDecided(
        result_id=result["id"], cycle_id=result["cycle_id"], provider_id=result["provider_id"], upheld=upheld,
        grade=new_grade, decided_by=actor.id, decided_on=today,  # type: ignore[arg-type]
    ), subject=result["id"], aggregate_version=after["version"])
    return after


async def issue(session: AsyncSession, actor: Actor, result: dict[str, Any]) -> dict[str, Any]:
    """Publish the verdict: a passing computed grade at once; a failing one only after due process."""
    today = business_clock(session).today()
    if result["state"] == "computed":
        rules.check_issue_computed(result["grade"])
    elif result["state"] == "proposed":
        rules.check_window_over(today, result["appeal_until"], "申诉", "appeal window")
    after = await _step(session, actor, result, "issue", issued_on=today)
    failed = result["grade"] == "不合格"
    await record_event(session, VERDICT_ISSUED, VerdictIssued(
        provider_id=result["provider_id"], provider_uscc=result["provider_uscc"], title_id=result["title_id"],
        title_number=result["title_number"], cycle_id=result["cycle_id"], grade=result["grade"], failed=failed,
        reasons=result["reasons"] if failed else [],
    ), subject=result["title_id"], aggregate_version=None)
    return after
