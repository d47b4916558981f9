"""Use cases on complaints: an enterprise files one about a provider that served it (a survey says so); a city
officer upholds or dismisses it once, publishing ``evaluation.complaint.decided`` (no enterprise); a provider sees
counts of the complaints about itself only."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import Attribute, where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.evaluation import COMPLAINT_DECIDED, ComplaintDecided
from sihua_shared.errors import conflict, forbidden, not_found
from sihua_shared.outbox import record_event

from ..adapters.eval_tables import complaints, surveys
from ..adapters.readmodels import known_organisations
from ..domain import access as policy
from ..domain.access import ENTERPRISE, PROVIDER
from ..domain.complaints import FILED, check_decidable
from .common import ensure, guarded_update
from .facts import keep_fact

COLUMNS: dict[str, Attribute] = {ENTERPRISE: complaints.c.enterprise_id, "district": complaints.c.district}
DECIDED_FACT = "evaluation.complaint.decided"


async def file(session: AsyncSession, actor: Actor, *, provider_id: str, subject: str, text: str) -> dict[str, Any]:
    if not actor.org:
        raise forbidden("需以企业账号投诉", "an enterprise's account files complaints")
    served = (await session.execute(select(surveys.c.id).where(
        surveys.c.provider_id == provider_id, surveys.c.enterprise_id == actor.org).limit(1))).first()
    if served is None:
        raise conflict("provider_not_serving", "该服务商未为本企业提供过服务，不能投诉",
                       "the provider never served your enterprise", field="body.provider_id")
    district = (await session.execute(select(known_organisations.c.district).where(
        known_organisations.c.organisation_id == actor.org))).scalar_one_or_none()
    complaint_id = str(uuid.uuid4())
    row = {"id": complaint_id, "provider_id": provider_id, "enterprise_id": actor.org, "district": district,
           "subject": subject, "text": text, "state": FILED, "filed_on": business_clock(session).today(),
           "filed_by": actor.id, "version": 1}
    await session.execute(complaints.insert().values(**row))
    await audit(session, actor, "complaint.file", "complaint", complaint_id, after=row)
    return row


async def list_complaints(session: AsyncSession, actor: Actor, *, state: str | None, provider_id: str | None,
                          limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    query = select(complaints).where(where(policy.complaints(actor), COLUMNS))
    if state:
        query = query.where(complaints.c.state == state)
    if provider_id:
        query = query.where(complaints.c.provider_id == provider_id)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(complaints.c.filed_on.desc(), complaints.c.id).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


async def get_complaint(session: AsyncSession, actor: Actor, complaint_id: str) -> dict[str, Any]:
    row = (await session.execute(select(complaints).where(
        complaints.c.id == complaint_id, where(policy.complaints(actor), COLUMNS)))).mappings().first()
    if row is None:
        raise not_found("complaint", complaint_id)
    return dict(row)


async def decide(session: AsyncSession, actor: Actor, complaint: dict[str, Any], *, outcome: str,
                 reason: str) -> dict[str, Any]:
    check_decidable(complaint["state"])
    today = business_clock(session).today()
    after = await guarded_update(session, complaints, complaint, ("complaint", "投诉"), state=outcome,
                                 decided_on=today, decided_by=actor.id, decision_reason=reason)
    payload = ComplaintDecided(complaint_id=complaint["id"], provider_id=complaint["provider_id"], outcome=outcome,  # type: ignore[arg-type]
                               decided_on=today)
    event = await record_event(session, COMPLAINT_DECIDED, payload, subject=complaint["id"],
                               aggregate_version=after["version"])
    await keep_fact(session, event.id, DECIDED_FACT, today, payload, provider_id=complaint["provider_id"],
                    enterprise_id=complaint["enterprise_id"])
    await audit(session, actor, "complaint.decide", "complaint", complaint["id"], before=complaint, after=after)
    return after


async def counts(session: AsyncSession, actor: Actor, provider_id: str) -> dict[str, Any]:
    """How many complaints about a provider, by state and by year filed — never who complained or what they wrote."""
    ensure(policy.aggregates(actor), {PROVIDER: provider_id},
           forbidden("只能查看本单位的投诉统计", "a provider sees the counts about itself only"))
    rows = (await session.execute(select(complaints.c.state, func.extract("year", complaints.c.filed_on), func.count())
                                  .where(complaints.c.provider_id == provider_id)
                                  .group_by(complaints.c.state, func.extract("year", complaints.c.filed_on)))).all()
    by_state = {"filed": 0, "upheld": 0, "dismissed": 0}
    by_year: dict[str, int] = {}
    for state, year, n in rows:
        by_state[state] = by_state.get(state, 0) + int(n)
        by_year[str(int(year))] = by_year.get(str(int(year)), 0) + int(n)
    return {"provider_id": provider_id, "total": sum(by_state.values()), "by_state": by_state, "by_year": by_year}
