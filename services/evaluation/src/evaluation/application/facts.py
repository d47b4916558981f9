"""The facts of other services the indicators are computed from, kept by the worker's reactions (idempotent through
the inbox; a redelivered fact finds its row by event id). A completed diagnosis project also opens the served
enterprise's satisfaction survey."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import SYSTEM, audit
from sihua_shared.consumer import Reaction, Subscription
from sihua_shared.contracts.diagnosis import (
    ASSESSMENT_COMPLETED,
    DIAGNOSIS_PROJECT_COMPLETED,
    REPORT_ISSUED,
    AssessmentCompleted,
    DiagnosisProjectCompleted,
    ReportIssued,
)
from sihua_shared.events import CloudEvent, EventPayload

from ..adapters.eval_tables import evaluation_facts, surveys
from ..domain.surveys import questionnaire

SHANGHAI = ZoneInfo("Asia/Shanghai")


def short_type(envelope_type: str) -> str:
    """``cn.gov.sihua.diagnosis.assessment.completed.v1`` → ``diagnosis.assessment.completed`` (as models name it)."""
    return ".".join(envelope_type.split(".")[3:6])


def event_day(envelope: CloudEvent) -> date:
    return datetime.fromisoformat(envelope.time.replace("Z", "+00:00")).astimezone(SHANGHAI).date()


async def keep_fact(session: AsyncSession, event_id: str, kind: str, occurred_on: date, payload: EventPayload, *,
                    provider_id: str | None, enterprise_id: str | None) -> None:
    await session.execute(pg_insert(evaluation_facts).values(
        event_id=event_id, type=kind, provider_id=provider_id, enterprise_id=enterprise_id, occurred_on=occurred_on,
        data=payload.model_dump(mode="json"),
    ).on_conflict_do_nothing())


async def on_assessment_completed(session: AsyncSession, envelope: CloudEvent, payload: AssessmentCompleted) -> None:
    await keep_fact(session, envelope.id, short_type(ASSESSMENT_COMPLETED.type), event_day(envelope), payload,
                    provider_id=payload.filled_by_organisation_id, enterprise_id=payload.enterprise_id)


async def on_report_issued(session: AsyncSession, envelope: CloudEvent, payload: ReportIssued) -> None:
    await keep_fact(session, envelope.id, short_type(REPORT_ISSUED.type), event_day(envelope), payload,
                    provider_id=None, enterprise_id=payload.enterprise_id)


async def on_project_completed(session: AsyncSession, envelope: CloudEvent, payload: DiagnosisProjectCompleted) -> None:
    await keep_fact(session, envelope.id, short_type(DIAGNOSIS_PROJECT_COMPLETED.type), payload.completed_on, payload,
                    provider_id=payload.provider_id, enterprise_id=payload.enterprise_id)
    await open_survey(session, provider_id=payload.provider_id, enterprise_id=payload.enterprise_id,
                      relationship="diagnosis_project", source_id=payload.project_id, source_event_id=envelope.id,
                      opened_on=payload.completed_on)


async def open_survey(session: AsyncSession, **values: Any) -> None:
    """One survey per served relationship: a second fact about the same project opens none."""
    row = {"id": str(uuid.uuid4()), "questionnaire_id": questionnaire().id, "state": "open", "version": 1, **values}
    inserted = (await session.execute(pg_insert(surveys).values(**row).on_conflict_do_nothing(
        index_elements=["source_id"]).returning(surveys.c.id))).first()
    if inserted is not None:
        await audit(session, SYSTEM, "survey.open", "survey", row["id"], after=row)


def facts_subscription() -> list[Subscription]:
    return [Subscription("evaluation", "diagnosis", [
        Reaction(ASSESSMENT_COMPLETED, on_assessment_completed),
        Reaction(REPORT_ISSUED, on_report_issued),
        Reaction(DIAGNOSIS_PROJECT_COMPLETED, on_project_completed),
    ])]
