"""Use cases on what enters a grade besides the facts: values submitted with evidence, and the third party's audit
findings on sampled enterprises."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.evaluation import FINDING_RECORDED, FindingRecorded
from sihua_shared.errors import forbidden, invalid
from sihua_shared.outbox import record_event

from ..adapters.eval_tables import findings, samples, submissions
from ..domain import access as policy
from ..domain.access import PROVIDER
from .common import ensure, load_model
from .cycles import evaluated_titles, require_open


async def _evaluated(session: AsyncSession, cycle: dict[str, Any], provider_id: str) -> None:
    if provider_id not in {t["organisation_id"] for t in await evaluated_titles(session, cycle)}:
        raise invalid("body.provider_id", "该单位不在本周期的评价对象中", "the provider is not evaluated in this cycle")


async def submit_value(session: AsyncSession, actor: Actor, cycle: dict[str, Any], *, provider_id: str,
                       indicator_id: str, value: Decimal, evidence: list[str]) -> dict[str, Any]:
    require_open(cycle)
    model = (await load_model(session, cycle["model_version"])).model
    indicator = model.indicator(indicator_id)
    if indicator is None or indicator.source.kind != "submitted":
        raise invalid("body.indicator_id", "该指标不是报送类指标", "not a submitted indicator of the cycle's model")
    ensure(policy.submitters(actor, indicator.source.submitted_by or "provider"), {PROVIDER: provider_id},
           forbidden("无权报送该指标", "you may not submit this indicator for this provider"))
    await _evaluated(session, cycle, provider_id)
    row = {"id": str(uuid.uuid4()), "cycle_id": cycle["id"], "provider_id": provider_id, "indicator_id": indicator_id,
           "value": value, "evidence": evidence, "submitted_by": actor.id, "submitted_org": actor.org}
    await session.execute(submissions.insert().values(**row))
    await audit(session, actor, "indicator_submission.submit", "indicator_submission", row["id"], after=row)
    return row


async def record_finding(session: AsyncSession, actor: Actor, cycle: dict[str, Any], *, provider_id: str,
                         enterprise_id: str | None, severity: str, summary: str, evidence: list[str]) -> dict[str, Any]:
    """A finding about a sampled enterprise (or the provider as a whole), with evidence; it enters the grade."""
    require_open(cycle)
    if actor.org is None:
        raise forbidden("需以第三方机构账号记录", "a third-party organisation's account records findings")
    sample = (await session.execute(select(samples).where(samples.c.cycle_id == cycle["id"],
                                                          samples.c.provider_id == provider_id))).mappings().first()
    if sample is None:
        raise invalid("body.provider_id", "尚未为该单位抽样", "no sample was drawn for this provider")
    if enterprise_id is not None and enterprise_id not in sample["drawn"]:
        raise invalid("body.enterprise_id", "该企业不在抽样名单中", "the enterprise is not in the provider's sample")
    deduction = (await load_model(session, cycle["model_version"])).model.finding_deductions
    row = {"id": str(uuid.uuid4()), "cycle_id": cycle["id"], "provider_id": provider_id, "enterprise_id": enterprise_id,
           "severity": severity, "summary": summary, "evidence": evidence, "recorded_by": actor.id,
           "recorded_org": actor.org, "recorded_on": business_clock(session).today()}
    await session.execute(findings.insert().values(**row))
    await record_event(session, FINDING_RECORDED, FindingRecorded(
        finding_id=row["id"], cycle_id=cycle["id"], provider_id=provider_id, enterprise_id=enterprise_id,
        severity=severity,  # type: ignore[arg-type]
        deduction_milli=int(getattr(deduction, severity) * 1000), recorded_by_organisation_id=actor.org,
    ), subject=row["id"])
    await audit(session, actor, "audit_finding.record", "audit_finding", row["id"], after=row)
    return row


async def list_findings(session: AsyncSession, actor: Actor, cycle: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await session.execute(select(findings).where(findings.c.cycle_id == cycle["id"])
                                 .order_by(findings.c.created_at, findings.c.id))
    scope = policy.findings(actor)
    return [dict(r) for r in rows.mappings() if scope.admits({PROVIDER: r["provider_id"]})]
