"""Completing a diagnosis project (诊断服务项目): the provider's on-site assessment, its report and a plan.

Funding pays a completed project under S0 三(三) (at most 20万元 per enterprise project), so completion
asks for the evidence: an on-site assessment of the project's enterprise, filled and submitted by the
assigned provider, whose report has been issued; and the transformation plan (改造方案), whose lines go
into the next revision of the report.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.diagnosis import DIAGNOSIS_PROJECT_COMPLETED, DiagnosisProjectCompleted
from sihua_shared.errors import DomainError, forbidden, invalid
from sihua_shared.outbox import record_event

from ..adapters.assessment_tables import assessments
from ..adapters.project_tables import diagnosis_projects
from ..adapters.report_tables import project_plans
from ..domain import access as policy
from ..domain.assessments import plan_lines
from ..domain.projects import transition
from .access import project_resource
from .projects import update_project_guarded
from .reports import issued_report


def _refuse(code: str, zh: str, en: str) -> DomainError:
    return invalid("body.assessment_id", zh, en, code)


async def _evidence(session: AsyncSession, project: dict[str, Any], assessment_id: str) -> tuple[dict[str, Any], str]:
    row = (await session.execute(select(assessments).where(assessments.c.id == assessment_id))).mappings().first()
    if row is None or row["enterprise_id"] != project["enterprise_id"]:
        raise _refuse("assessment_not_of_enterprise", "该评测不属于本项目的企业", "no assessment of the project's enterprise with this id")
    if row["kind"] != "onsite" or row["filled_by_org"] != project["provider_id"]:
        raise _refuse("assessment_not_onsite", "须为本诊断服务商开展的现场评定", "the assessment must be on-site, by the assigned provider")
    reused = (
        await session.execute(select(diagnosis_projects.c.id).where(
            diagnosis_projects.c.assessment_id == assessment_id, diagnosis_projects.c.id != project["id"]))
    ).first()
    if reused is not None:  # funding pays each completed project: one on-site assessment completes one project
        raise _refuse("assessment_already_used", "该现场评定已用于完成另一个诊断服务项目",
                      "the on-site assessment already completed another diagnosis project")
    if row["state"] != "submitted":
        raise _refuse("assessment_not_submitted", "该评测尚未提交", "the assessment has not been submitted")
    report = await issued_report(session, assessment_id)
    if report is None:
        raise _refuse("report_not_issued", "该评测的诊断报告尚未出具", "the assessment's diagnosis report has not been issued yet")
    return dict(row), str(report["id"])


async def complete_project(
    session: AsyncSession, actor: Actor, project: dict[str, Any], *, assessment_id: str, plan: str
) -> dict[str, Any]:
    """Complete a loaded project (the route has checked If-Match against its version)."""
    if not policy.project_completers(actor).admits(project_resource(project)):
        raise forbidden("只有承担该项目的诊断服务商可以完成项目", "only the assigned diagnosis provider completes the project")
    state = transition(project["state"], "complete")
    lines = plan_lines(plan)
    if not lines:
        raise invalid("body.plan", "请填写改造方案", "the transformation plan is required", "plan_required")
    assessment, report_id = await _evidence(session, project, assessment_id)
    on = business_clock(session).today()
    await update_project_guarded(session, project, state=state, completed_on=on, assessment_id=assessment_id,
                                 report_id=report_id)
    version = project["version"] + 1
    await session.execute(project_plans.insert().values(
        project_id=project["id"], assessment_id=assessment_id, plan=plan, completed_by=actor.id))
    payload = DiagnosisProjectCompleted(
        project_id=project["id"], enterprise_id=project["enterprise_id"], provider_id=project["provider_id"],
        assessment_id=assessment_id, report_id=report_id, completed_on=on, level=assessment["level"], plan_lines=len(lines),
        fee_fen=project.get("fee_fen"),
    )
    await record_event(session, DIAGNOSIS_PROJECT_COMPLETED, payload, subject=project["id"], aggregate_version=version)
    after = {**project, "state": state, "completed_on": on, "assessment_id": assessment_id, "report_id": report_id,
             "version": version}
    await audit(session, actor, "diagnosis_project.complete", "diagnosis_project", project["id"],
                before=project, after=after | {"plan_lines": list(lines)})
    return after | {"plan": plan}

