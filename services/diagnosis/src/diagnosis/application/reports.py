"""Diagnosis reports, built by the worker after submission, never in the request.

Two steps, because a reaction gets only its transaction (no settings, no file store) and a PDF takes about a
second of CPU: the reactions to the service's own facts queue a report revision in the inbox transaction
(exactly once), and the worker's report job renders queued revisions — JSON and PDF — stores the PDF, and
records ``report.issued``. Several workers may run the job: rows are taken with ``SKIP LOCKED``.

- ``assessment.completed`` queues revision 1;
- ``diagnosis_project.completed`` queues the next revision with the transformation plan's lines.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sihua_shared.aio import sleep_or_stop
from sihua_shared.audit import SYSTEM, audit
from sihua_shared.clock import business_clock
from sihua_shared.consumer import PermanentError, Reaction, Subscription
from sihua_shared.contracts.diagnosis import (
    ASSESSMENT_COMPLETED,
    DIAGNOSIS_PROJECT_COMPLETED,
    REPORT_ISSUED,
    AssessmentCompleted,
    DiagnosisProjectCompleted,
    ReportIssued,
)
from sihua_shared.events import CloudEvent
from sihua_shared.logging import get_logger
from sihua_shared.outbox import record_event
from sihua_shared.settings import Settings
from sihua_shared.storage import FileStore, build_file_store, files_of_failed_transactions_removed, store_in

from ..adapters.assessment_tables import assessments
from ..adapters.report_tables import project_plans, reports
from ..domain.assessments import plan_lines
from ..reports.json_report import report_json
from .edition_cache import EDITIONS
from .report_data import build_report_data
from .report_profile import enterprise_profile

log = get_logger("diagnosis.reports")
MAX_ATTEMPTS = 5
_REPORT_IDS = uuid.UUID("5d1a7c52-6f0e-4d8e-9a51-2b7f3c9e0d14")


def report_id_for(assessment_id: str) -> str:
    """One report per assessment, with an id derived from it (a redelivered fact finds the same report)."""
    return str(uuid.uuid5(_REPORT_IDS, assessment_id))


async def queue_first_report(session: AsyncSession, _: CloudEvent, payload: AssessmentCompleted) -> None:
    await session.execute(
        pg_insert(reports)
        .values(id=report_id_for(payload.assessment_id), assessment_id=payload.assessment_id,
                enterprise_id=payload.enterprise_id, state="pending", revision=1)
        .on_conflict_do_nothing(index_elements=["assessment_id"])
    )


async def queue_report_with_plan(session: AsyncSession, _: CloudEvent, payload: DiagnosisProjectCompleted) -> None:
    plan = (
        await session.execute(select(project_plans.c.plan).where(project_plans.c.project_id == payload.project_id))
    ).scalar_one_or_none()
    if plan is None:
        raise PermanentError(f"no transformation plan stored for project {payload.project_id}")
    result = await session.execute(
        update(reports)
        .where(reports.c.assessment_id == payload.assessment_id)
        .values(plan_lines=list(plan_lines(plan)), revision=reports.c.revision + 1, state="pending", attempts=0,
                updated_at=func.now())
    )
    if getattr(result, "rowcount", 1) == 0:
        raise PermanentError(f"no report for assessment {payload.assessment_id}")


def report_subscription() -> Subscription:
    return Subscription("diagnosis", "diagnosis", [
        Reaction(ASSESSMENT_COMPLETED, queue_first_report),
        Reaction(DIAGNOSIS_PROJECT_COMPLETED, queue_report_with_plan),
    ])


async def issue_next_report(factory: async_sessionmaker[AsyncSession], files: FileStore, settings: Settings) -> bool:
    """Render and issue one queued report revision; False when none is waiting."""
    async with factory() as session, files_of_failed_transactions_removed(session), session.begin():
        report = (
            await session.execute(
                select(reports).where(reports.c.state == "pending").order_by(reports.c.updated_at)
                .limit(1).with_for_update(skip_locked=True)
            )
        ).mappings().first()
        if report is None:
            return False
        try:
            # a failure rolls back to here (its PDF deleted) and is counted below
            async with files_of_failed_transactions_removed(session), session.begin_nested():
                await _issue(session, files, settings, dict(report))
        except Exception as exc:  # a render or storage failure: count it, give up after a few
            attempts = report["attempts"] + 1
            state = "failed" if attempts >= MAX_ATTEMPTS else "pending"
            log.error("report.render_failed", report_id=report["id"], attempts=attempts, error=repr(exc))
            await session.execute(
                update(reports).where(reports.c.id == report["id"])
                .values(attempts=attempts, state=state, last_error=repr(exc)[:2000], updated_at=func.now())
            )
    return True


async def _issue(session: AsyncSession, files: FileStore, settings: Settings, report: dict[str, Any]) -> None:
    from ..reports.pdf import render_pdf  # matplotlib and fonts: loaded by the worker, not the api

    found = await session.execute(select(assessments).where(assessments.c.id == report["assessment_id"]))
    assessment = dict(found.mappings().one())
    edition = await EDITIONS.get(session, assessment["edition_version"])
    clock = business_clock(session)
    data = build_report_data(
        report_id=report["id"], issued_on=clock.today(), edition=edition, assessment=assessment,
        enterprise=await enterprise_profile(session, assessment, settings.jurisdiction),
        plan_lines=tuple(report["plan_lines"] or ()),
    )
    pdf = await asyncio.to_thread(render_pdf, data)
    revision = report["revision"]
    stored = await store_in(session, files, f"reports/{assessment['id']}/r{revision}.pdf", pdf, "application/pdf")
    await session.execute(
        update(reports).where(reports.c.id == report["id"]).values(
            state="issued", issued_revision=revision, content=report_json(data), pdf_key=stored.key,
            pdf_sha256=stored.sha256, issued_at=clock.now(), last_error=None, updated_at=func.now(),
        )
    )
    payload = ReportIssued(
        report_id=report["id"], assessment_id=assessment["id"], enterprise_id=assessment["enterprise_id"],
        level=assessment["level"], pdf_sha256=stored.sha256, revision=revision, stage=assessment["stage"],
        kind=assessment["kind"],
    )
    await record_event(session, REPORT_ISSUED, payload, subject=report["id"], aggregate_version=revision)
    await audit(session, SYSTEM, "report.issue", "report", report["id"],
                after={"revision": revision, "pdf_sha256": stored.sha256, "assessment_id": assessment["id"]})


async def report_job(worker: Any, stop: asyncio.Event) -> None:
    """The worker's background job: issue queued reports, then wait for the next round."""
    factory: async_sessionmaker[AsyncSession] = worker._factory()
    settings: Settings = worker.settings
    files = build_file_store(settings)
    while not stop.is_set():
        try:
            while not stop.is_set() and await issue_next_report(factory, files, settings):
                pass
        except Exception as exc:  # the database may be away; try again next round
            log.warning("report.job_failed", error=repr(exc))
        await sleep_or_stop(stop, settings.relay_poll_seconds)


async def issued_report(session: AsyncSession, assessment_id: str) -> dict[str, Any] | None:
    """The latest issued revision of an assessment's report, or None."""
    row = (
        await session.execute(select(reports).where(reports.c.assessment_id == assessment_id, reports.c.issued_revision.is_not(None)))
    ).mappings().first()
    return dict(row) if row else None
