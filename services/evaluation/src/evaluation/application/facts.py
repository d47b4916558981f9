"""The facts of other services the indicators are computed from, kept by the worker's reactions (idempotent through
the inbox; a redelivered fact finds its row by event id): diagnosis's assessments and projects, funding's
transformation projects, catalog's products, ratings, deliveries, work plans and solutions, the registry's
ecosystem alliances and clusters. A completed diagnosis project, and a transformation project that passed
acceptance, open the served enterprise's satisfaction survey; catalog's product facts also keep the product's
listing state (``evaluation_products``, revision evalx_0001)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import SYSTEM, audit
from sihua_shared.consumer import Reaction, Subscription
from sihua_shared.contracts import catalog as catalog_facts
from sihua_shared.contracts import funding as funding_facts
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.contracts.diagnosis import (
    ASSESSMENT_COMPLETED,
    DIAGNOSIS_PROJECT_COMPLETED,
    REPORT_ISSUED,
    AssessmentCompleted,
    DiagnosisProjectCompleted,
    ReportIssued,
)
from sihua_shared.events import CloudEvent, EventPayload, EventSpec

from ..adapters.eval_tables import evaluation_facts, evaluation_products, surveys
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


def kept(spec: EventSpec[Any], on: str, provider: str | None, enterprise: str | None) -> Reaction:
    """A reaction keeping one fact: ``on`` names the payload's date field, ``provider`` and ``enterprise`` the
    fields saying whose fact it is (None: nobody's)."""

    async def keep(session: AsyncSession, envelope: CloudEvent, payload: Any) -> None:
        await keep_fact(session, envelope.id, short_type(spec.type), getattr(payload, on), payload,
                        provider_id=getattr(payload, provider) if provider else None,
                        enterprise_id=getattr(payload, enterprise) if enterprise else None)
        await _also(session, envelope, payload)

    return Reaction(spec, keep)


async def _also(session: AsyncSession, envelope: CloudEvent, payload: Any) -> None:
    """What some facts do beside being kept: the product's listing state, the survey after an accepted contract."""
    if isinstance(payload, catalog_facts.ProductAdmitted):
        await session.execute(pg_insert(evaluation_products).values(
            product_id=payload.product_id, organisation_id=payload.organisation_id, name=payload.name,
            catalogue_number=payload.catalogue_number, sectors=payload.sectors, admitted_on=payload.admitted_on,
            admitted_event_id=envelope.id, state="listed").on_conflict_do_nothing())
    elif isinstance(payload, catalog_facts.ProductDelisted | catalog_facts.ProductSuspended | catalog_facts.ProductReinstated):
        changes: dict[str, Any]
        if isinstance(payload, catalog_facts.ProductDelisted):
            changes = {"state": "delisted", "delisted_on": payload.delisted_on}
        elif isinstance(payload, catalog_facts.ProductSuspended):
            changes = {"state": "suspended", "suspended_on": payload.suspended_on}
        else:
            changes = {"state": "listed", "suspended_on": None}
        await session.execute(evaluation_products.update().where(
            evaluation_products.c.product_id == payload.product_id, evaluation_products.c.state != "delisted"
        ).values(**changes, updated_event_id=envelope.id))
    elif isinstance(payload, funding_facts.ProjectAccepted):
        await open_survey(session, provider_id=payload.traction_unit_id, enterprise_id=payload.enterprise_id,
                          relationship="transformation_project", source_id=payload.project_id,
                          source_event_id=envelope.id, opened_on=payload.accepted_on)


_F, _C, _R = funding_facts, catalog_facts, registry_facts
FUNDING_FACTS = [
    kept(_F.PROJECT_CONTRACTED, "contracted_on", "traction_unit_id", "enterprise_id"),
    kept(_F.PROGRESS_REPORTED, "reported_on", "traction_unit_id", "enterprise_id"),
    kept(_F.PROJECT_COMPLETED, "completed_on", "traction_unit_id", "enterprise_id"),
    kept(_F.PROJECT_ACCEPTED, "accepted_on", "traction_unit_id", "enterprise_id"),
    kept(_F.PROJECT_FAILED, "failed_on", "traction_unit_id", "enterprise_id"),
]
CATALOG_FACTS = [
    kept(_C.PRODUCT_ADMITTED, "admitted_on", "organisation_id", None),
    kept(_C.PRODUCT_DELISTED, "delisted_on", "organisation_id", None),
    kept(_C.PRODUCT_SUSPENDED, "suspended_on", "organisation_id", None),
    kept(_C.PRODUCT_REINSTATED, "reinstated_on", "organisation_id", None),
    kept(_C.PRODUCT_RATED, "rated_on", None, "enterprise_id"),
    kept(_C.GROUP_PURCHASE_DELIVERED, "delivered_on", "cluster_body_id", "enterprise_id"),
    kept(_C.WORK_PLAN_FILED, "filed_on", "organisation_id", None),
    kept(_C.SOLUTION_PUBLISHED, "published_on", "lead_organisation_id", None),
]
REGISTRY_ALLIANCE_FACTS = [
    kept(_R.ECOSYSTEM_PARTNER_CONFIRMED, "confirmed_on", "traction_unit_id", None),
    kept(_R.ECOSYSTEM_PARTNER_ENDED, "ended_on", "traction_unit_id", None),
    kept(_R.CLUSTER_MEMBER_APPROVED, "approved_on", "cluster_body_id", "enterprise_id"),
    kept(_R.CLUSTER_MEMBER_REMOVED, "removed_on", "cluster_body_id", "enterprise_id"),
]


def facts_subscription() -> list[Subscription]:
    return [
        Subscription("evaluation", "diagnosis", [
            Reaction(ASSESSMENT_COMPLETED, on_assessment_completed),
            Reaction(REPORT_ISSUED, on_report_issued),
            Reaction(DIAGNOSIS_PROJECT_COMPLETED, on_project_completed),
        ]),
        Subscription("evaluation", "funding", FUNDING_FACTS),
        Subscription("evaluation", "catalog", CATALOG_FACTS),
        Subscription("evaluation", "registry", REGISTRY_ALLIANCE_FACTS),
    ]
