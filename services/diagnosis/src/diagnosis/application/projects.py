"""Use cases on diagnosis projects. They take a session and never commit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.diagnosis import DIAGNOSIS_PROJECT_ASSIGNED, DiagnosisProjectAssigned
from sihua_shared.errors import DomainError, conflict, forbidden, invalid, not_found, stale_version
from sihua_shared.jurisdiction import MoneyCap
from sihua_shared.outbox import record_event

from ..adapters.project_tables import diagnosis_projects
from ..adapters.readmodels import known_titles
from ..domain import access as policy
from ..domain.access import DISTRICT
from ..domain.projects import TitleView, fee_exceeds_cap, title_allows_assignment, transition
from .access import PROJECT_COLUMNS, ensure, organisation


async def assign_project(
    session: AsyncSession, actor: Actor, enterprise_id: str, provider_id: str, *, fee_fen: int | None = None,
    fee_cap: MoneyCap | None = None,
) -> dict[str, Any]:
    """Assign the enterprise to the provider with the agreed fee in fen, within the jurisdiction's cap."""
    if fee_cap is not None and fee_exceeds_cap(fee_fen, fee_cap.amount_fen):
        raise invalid(
            "body.fee_fen", f"诊断服务费超过上限 {fee_cap.amount_fen} 分（{fee_cap.source}）",
            f"the agreed fee exceeds the cap of {fee_cap.amount_fen} fen ({fee_cap.source})", code="fee_over_cap",
        )
    enterprise = await organisation(session, enterprise_id)
    if enterprise is None or enterprise["kind"] != "enterprise":
        raise DomainError("unknown_enterprise", "未找到该企业（需先在登记系统登记）", "unknown enterprise",
                          field="body.enterprise_id", detail=f"no enterprise {enterprise_id} is known")
    ensure(policy.project_assigners(actor), {DISTRICT: enterprise["district"]},
           forbidden("只能为本区企业派单", "a district officer assigns enterprises of their own district only"))
    on = business_clock(session).today()
    titles = (
        await session.execute(
            select(known_titles).where(
                known_titles.c.organisation_id == provider_id, known_titles.c.kind == "diagnosis_provider"
            )
        )
    ).mappings().all()
    valid = [
        t for t in titles
        if title_allows_assignment(TitleView(t["kind"], t["valid_from"], t["valid_until"], t["revoked_on"]), on)
    ]
    if not valid:
        raise DomainError(
            "provider_not_selected",
            "该单位不是有效的评估诊断服务项目承担单位（未入选或称号已撤销/过期）",
            "the provider holds no valid diagnosis-provider title (not selected, revoked or expired)",
            field="body.provider_id", detail=f"{provider_id} holds no valid diagnosis-provider title today",
        )
    open_project = (
        await session.execute(
            select(diagnosis_projects.c.id).where(
                diagnosis_projects.c.enterprise_id == enterprise_id, diagnosis_projects.c.state == "assigned"
            )
        )
    ).scalar_one_or_none()
    if open_project is not None:
        raise conflict(
            "project_open", "该企业已有进行中的诊断服务项目", "the enterprise already has an open diagnosis project",
            field="body.enterprise_id", project_id=open_project,
        )
    row = {
        "id": str(uuid.uuid4()),
        "enterprise_id": enterprise_id,
        "provider_id": provider_id,
        "title_id": valid[0]["title_id"],
        "district": enterprise["district"],
        "state": "assigned",
        "assigned_on": on,
        "assigned_by": actor.id,
        "fee_fen": fee_fen,
        "version": 1,
    }
    await session.execute(diagnosis_projects.insert().values(**row))
    payload = DiagnosisProjectAssigned(
        project_id=row["id"], enterprise_id=enterprise_id, provider_id=provider_id,
        district=enterprise["district"], assigned_on=on, fee_fen=fee_fen,
    )
    await record_event(session, DIAGNOSIS_PROJECT_ASSIGNED, payload, subject=row["id"], aggregate_version=1)
    await audit(session, actor, "diagnosis_project.assign", "diagnosis_project", row["id"], after=row)
    return row


def visible_projects(actor: Actor) -> Select[Any]:
    """The projects an actor may see: officials by district, providers and enterprises their own."""
    return select(diagnosis_projects).where(where(policy.projects(actor), PROJECT_COLUMNS))


async def list_projects(
    session: AsyncSession, actor: Actor, *, state: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    query = visible_projects(actor)
    if state:
        query = query.where(diagnosis_projects.c.state == state)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    found = (
        await session.execute(query.order_by(diagnosis_projects.c.created_at.desc()).limit(limit).offset(offset))
    ).mappings()
    return [dict(r) for r in found], int(total)


async def get_project(session: AsyncSession, actor: Actor, project_id: str) -> dict[str, Any]:
    row = (
        await session.execute(visible_projects(actor).where(diagnosis_projects.c.id == project_id))
    ).mappings().first()
    if row is None:
        raise not_found("diagnosis project", project_id)
    return dict(row)


async def update_project_guarded(session: AsyncSession, project: dict[str, Any], **values: Any) -> None:
    """Update guarded by the version the caller read: a concurrent change (say a cancel racing a completion) answers 412."""
    updated = (
        await session.execute(
            update(diagnosis_projects)
            .where(diagnosis_projects.c.id == project["id"], diagnosis_projects.c.version == project["version"])
            .values(**values, version=diagnosis_projects.c.version + 1)
            .returning(diagnosis_projects.c.version)
        )
    ).first()
    if updated is None:
        raise stale_version("diagnosis project", "诊断服务项目")


async def cancel_project(session: AsyncSession, actor: Actor, project: dict[str, Any], reason: str) -> dict[str, Any]:
    """Cancel a loaded project (the route has checked If-Match against its version)."""
    project_id = project["id"]
    state = transition(project["state"], "cancel")
    await update_project_guarded(session, project, state=state, cancel_reason=reason)
    after = {**project, "state": state, "cancel_reason": reason, "version": project["version"] + 1}
    await audit(session, actor, "diagnosis_project.cancel", "diagnosis_project", project_id,
                before=project, after=after)
    return after
