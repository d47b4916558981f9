"""Use cases on satisfaction surveys: the enterprise served answers its own, once; providers see aggregates only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import Attribute, where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.evaluation import SURVEY_ANSWERED, SurveyAnswered
from sihua_shared.errors import conflict, forbidden, not_found
from sihua_shared.outbox import record_event

from ..adapters.eval_tables import surveys
from ..domain import access as policy
from ..domain.access import ENTERPRISE, MIN_ANSWERS_SHOWN_TO_PROVIDER, PROVIDER
from ..domain.surveys import questionnaire
from .common import ensure, guarded_update
from .facts import keep_fact

COLUMNS: dict[str, Attribute] = {ENTERPRISE: surveys.c.enterprise_id}


async def list_surveys(session: AsyncSession, actor: Actor, *, state: str | None, limit: int, offset: int
                       ) -> tuple[list[dict[str, Any]], int]:
    query = select(surveys).where(where(policy.surveys(actor), COLUMNS))
    if state:
        query = query.where(surveys.c.state == state)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(surveys.c.opened_on.desc(), surveys.c.id).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


async def get_survey(session: AsyncSession, actor: Actor, survey_id: str) -> dict[str, Any]:
    row = (await session.execute(select(surveys).where(surveys.c.id == survey_id, where(policy.surveys(actor), COLUMNS)))
           ).mappings().first()
    if row is None:
        raise not_found("survey", survey_id)
    return dict(row)


async def answer(session: AsyncSession, actor: Actor, survey: dict[str, Any], answers: dict[str, int]) -> dict[str, Any]:
    if survey["state"] != "open":
        raise conflict("survey_answered", "该调查已填写，不能重复填写", "the survey was answered already")
    score = questionnaire().score_milli(answers)
    today = business_clock(session).today()
    after = await guarded_update(session, surveys, survey, ("survey", "满意度调查"), state="answered", answers=answers,
                                 score_milli=score, answered_on=today, answered_by=actor.id)
    payload = SurveyAnswered(survey_id=survey["id"], provider_id=survey["provider_id"],
                             relationship=survey["relationship"], score_milli=score, answered_on=today)
    event = await record_event(session, SURVEY_ANSWERED, payload, subject=survey["id"], aggregate_version=after["version"])
    await keep_fact(session, event.id, "evaluation.survey.answered", today, payload, provider_id=survey["provider_id"],
                    enterprise_id=survey["enterprise_id"])
    await audit(session, actor, "survey.answer", "survey", survey["id"], before=survey, after=after)
    return after


async def aggregates(session: AsyncSession, actor: Actor, provider_id: str) -> dict[str, Any]:
    """Counts and means, never who answered what; a provider sees the figures from a minimum count up."""
    ensure(policy.aggregates(actor), {PROVIDER: provider_id}, forbidden("只能查看本单位的满意度汇总",
                                                                        "a provider sees its own aggregates only"))
    rows = [dict(r) for r in (await session.execute(select(surveys.c.state, surveys.c.answers, surveys.c.score_milli)
                                                    .where(surveys.c.provider_id == provider_id))).mappings()]
    answered = [r for r in rows if r["state"] == "answered"]
    shown = policy.sees_every_answer_count(actor) or len(answered) >= MIN_ANSWERS_SHOWN_TO_PROVIDER
    out: dict[str, Any] = {"provider_id": provider_id, "surveys": len(rows), "answered": len(answered),
                           "min_answers_shown": MIN_ANSWERS_SHOWN_TO_PROVIDER, "mean_score": None, "questions": []}
    if shown and answered:
        total = Decimal(sum(r["score_milli"] for r in answered))
        out["mean_score"] = str((total / Decimal(1000 * len(answered))).quantize(Decimal("0.1")))
        for q in questionnaire().questions:
            values = [r["answers"][q.id] for r in answered if q.id in (r["answers"] or {})]
            mean = (Decimal(sum(values)) / Decimal(len(values))).quantize(Decimal("0.01")) if values else None
            out["questions"].append({"id": q.id, "text_zh": q.text_zh, "mean": None if mean is None else str(mean)})
    return out
