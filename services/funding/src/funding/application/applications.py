"""Use cases on funding applications: draft, submit, review (审核), approve (审批), reject; the award ledger.

Take a session and never commit. Approval runs under transaction-scoped advisory locks on the applicant's USCC,
the project and the district (in that sorted order), with the application row locked, so that concurrent approvals
see each other's awards: cumulative caps, per-year caps, the three-year rule and no-double-application are
checked against the ledger and hold; the ledger's unique application id means nothing is awarded twice.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any, Literal

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import Attribute, where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.funding import (
    APPLICATION_APPROVED,
    APPLICATION_REJECTED,
    APPLICATION_REVIEWED,
    APPLICATION_SUBMITTED,
    ApplicationApproved,
    ApplicationRejected,
    ApplicationReviewed,
    ApplicationSubmitted,
    TraceLine,
)
from sihua_shared.errors import DomainError, Kind, Problem, conflict, forbidden, invalid, invalid_all, not_found, stale_version
from sihua_shared.inputs import clean_filename
from sihua_shared.outbox import record_event
from sihua_shared.storage import FileStore, sniff, store_in

from ..adapters.funding_tables import applications, awards, evidence
from ..adapters.readmodels import known_organisations
from ..domain import access as policy
from ..domain.access import DISTRICT, ORGANISATION
from ..domain.applications import (
    APPLICANT_INPUTS,
    OFFICIAL_FACTS,
    OFFICIAL_INPUTS,
    OPEN_STATES,
    OpenApplication,
    double_applications,
    may_apply,
    same_person,
    transition,
    unknown_inputs,
)
from ..domain.engine import Claim, Computation, MissingInputs, PriorAward, compute
from ..domain.policies import PolicyVersion, status_on
from ..domain.policy_schema import MAX_FEN, Measure
from .budgets import reserve
from .facts import gathered_facts
from .policies import load_version, versions_in_force
from .projects import figures_from_project

COLUMNS: dict[str, Attribute] = {ORGANISATION: applications.c.applicant_id, DISTRICT: applications.c.district}
AWARD_COLUMNS: dict[str, Attribute] = {ORGANISATION: awards.c.applicant_id, DISTRICT: awards.c.district}


def _resource(row: dict[str, Any]) -> dict[str, Any]:
    return {ORGANISATION: row["applicant_id"], DISTRICT: row["district"]}


def check_inputs(inputs: dict[str, Any], allowed: frozenset[str], field: str) -> None:
    """Only the inputs the party may give, each of its type: money integer fen (never a float), a date, a rate."""
    problems = [Problem(f"{field}.{k}", "input.unknown", "不可填写的字段", "not an input this party gives")
                for k in unknown_inputs(inputs, allowed)]
    for key, value in inputs.items():
        if key.endswith("_fen") and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FEN):
            problems.append(Problem(f"{field}.{key}", "input.fen", "金额须为整数分（0 至 10^15）", "money is integer fen (0..10^15)"))
        elif key == "interest_period_start":
            try:
                date.fromisoformat(str(value))
            except ValueError:
                problems.append(Problem(f"{field}.{key}", "input.date", "日期格式为 YYYY-MM-DD", "a date YYYY-MM-DD"))
        elif key in ("batch_rate", "proposal_reason") and (not isinstance(value, str) or not 1 <= len(value) <= 2000):
            problems.append(Problem(f"{field}.{key}", "input.text", "须为文本", "a text"))
    if problems:
        raise invalid_all("inputs_invalid", "申请数据不合规", "the inputs are not valid", problems)


async def _measure_in_force(session: AsyncSession, jurisdiction: str, policy_id: str, measure_id: str,
                            on: date) -> tuple[PolicyVersion, Measure]:
    current = await versions_in_force(session, jurisdiction, on)
    version = current.get(policy_id)
    if version is None:
        raise invalid("body.policy_id", "该资金政策在该日期未施行", "no version of this policy is in force on that date",
                      "policy_not_in_force")
    status = status_on(version.document, on)
    if status == "expired":
        raise invalid("body.policy_id", "该资金政策已过期，不再受理新申请", "the policy has expired: no new application",
                      "policy_expired")
    measure = version.document.measure(measure_id)
    if measure is None:
        raise invalid("body.measure_id", "该政策没有这项措施", "the policy has no such measure", "unknown_measure")
    if not measure.computable:
        raise invalid("body.measure_id", f"该措施无可计算的金额，不受理申请（{measure.note}）",
                      "the measure gives no usable figure: it is listed as not computable", "measure_not_computable")
    return version, measure


def ensure_may(actor: Actor, app: dict[str, Any], action: str) -> None:
    """Whether the actor may take ``action`` on the application it sees (before its version is compared)."""
    resource = _resource(app)
    if action == "submit":
        if not policy.editors(actor).admits(resource):
            raise forbidden("只有申报单位可以提交本申请", "only the applicant submits its application")
    elif action == "review" or (action == "reject" and app["state"] == "submitted"):
        if not policy.reviewers(actor).admits(resource) or policy.reviews_own(actor, app["applicant_id"]):
            raise forbidden("审核由市级官员或第三方机构进行，且不得审核本单位的申请",
                            "a city officer or third-party reviewer reviews, never its own")
    elif action in ("approve", "reject"):
        if not policy.approvers(actor).admits(resource):
            raise forbidden("审批由市级官员进行", "a city officer approves")
        if same_person(app["reviewed_by"], actor.id):
            raise DomainError("same_person", "审核与审批不得为同一人", "review and approval are done by two different people",
                              field="authorization", kind=Kind.FORBIDDEN)


async def create_application(session: AsyncSession, actor: Actor, jurisdiction: str, *, policy_id: str, measure_id: str,
                             project_id: str, inputs: dict[str, Any]) -> dict[str, Any]:
    if not actor.has(*policy.APPLICANTS) or actor.org is None:
        raise forbidden("只有申报单位可以创建申请", "only an applicant organisation creates applications")
    check_inputs(inputs, APPLICANT_INPUTS, "body.inputs")
    org = (await session.execute(select(known_organisations).where(known_organisations.c.organisation_id == actor.org))).mappings().first()
    if org is None:
        raise DomainError("unknown_applicant", "申报单位未在登记系统登记", "the applicant is not registered", field="authorization",
                          kind=Kind.FORBIDDEN)
    today = business_clock(session).today()
    version, measure = await _measure_in_force(session, jurisdiction, policy_id, measure_id, today)
    if not may_apply(measure, org["kind"]):
        raise forbidden(f"该措施的申报主体为：{'、'.join(measure.applicants)}",
                        "this organisation is not entitled to apply for the measure")
    row = {
        "id": str(uuid.uuid4()), "policy_version_id": version.version_id, "policy_id": policy_id, "measure_id": measure_id,
        "clause": measure.clause, "award_group": measure.group, "applicant_id": actor.org, "applicant_uscc": org["uscc"],
        "applicant_kind": org["kind"], "district": org["district"], "project_id": project_id, "state": "draft",
        "applied_on": today, "inputs": inputs, "facts": {}, "created_by": actor.id,
        "draft_policy": version.document.status == "draft", "version": 1,
    }
    await session.execute(applications.insert().values(**row))
    await audit(session, actor, "funding_application.create", "funding_application", row["id"], after=row)
    return await _reload(session, row["id"])


async def edit_inputs(session: AsyncSession, actor: Actor, app: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """The applicant replaces a draft's inputs."""
    ensure_may(actor, app, "submit")
    check_inputs(inputs, APPLICANT_INPUTS, "body.inputs")
    if app["state"] != "draft":
        raise conflict("not_a_draft", "只有草稿可以修改申报数据", "only a draft's inputs change")
    saved = await _save(session, app, inputs=inputs)
    await audit(session, actor, "funding_application.edit", "funding_application", app["id"], before=app, after=saved)
    return saved


def visible(actor: Actor) -> Select[Any]:
    return select(applications).where(where(policy.applications(actor), COLUMNS))


async def _reload(session: AsyncSession, application_id: str) -> dict[str, Any]:
    row = (await session.execute(select(applications).where(applications.c.id == application_id))).mappings().one()
    return dict(row)


async def get_application(session: AsyncSession, actor: Actor, application_id: str) -> dict[str, Any]:
    row = (await session.execute(visible(actor).where(applications.c.id == application_id))).mappings().first()
    if row is None:
        raise not_found("funding application", application_id)
    return dict(row)


async def list_applications(session: AsyncSession, actor: Actor, *, state: str | None, measure_id: str | None,
                            project_id: str | None, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    query = visible(actor)
    if state:
        query = query.where(applications.c.state == state)
    if measure_id:
        query = query.where(applications.c.measure_id == measure_id)
    if project_id:
        query = query.where(applications.c.project_id == project_id)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    ordered = query.order_by(applications.c.created_at.desc(), applications.c.id).limit(limit).offset(offset)
    rows = (await session.execute(ordered)).mappings()
    return [dict(r) for r in rows], int(total)


async def _lock(session: AsyncSession, *keys: str | None) -> None:
    """Transaction-scoped advisory locks, always taken in sorted order (no deadlock between two approvals)."""
    for key in sorted({k for k in keys if k}):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))


async def _locked_row(session: AsyncSession, app: dict[str, Any], expected_version: int) -> dict[str, Any]:
    row = (await session.execute(select(applications).where(applications.c.id == app["id"]).with_for_update())).mappings().one()
    if row["version"] != expected_version:
        raise stale_version("funding application", "奖补申请")
    return dict(row)


async def _save(session: AsyncSession, row: dict[str, Any], **values: Any) -> dict[str, Any]:
    updated = (await session.execute(
        update(applications).where(applications.c.id == row["id"], applications.c.version == row["version"])
        .values(**values, version=applications.c.version + 1).returning(applications.c.version))).first()
    if updated is None:
        raise stale_version("funding application", "奖补申请")
    return await _reload(session, row["id"])


def _fact_base(row: dict[str, Any], version: PolicyVersion) -> dict[str, Any]:
    return {"application_id": row["id"], "policy_id": row["policy_id"], "policy_version_id": row["policy_version_id"],
            "measure_id": row["measure_id"], "clause": row["clause"], "applicant_id": row["applicant_id"],
            "applicant_uscc": row["applicant_uscc"], "project_id": row["project_id"], "district": row["district"],
            "draft_policy": version.document.status == "draft"}


async def _open_for_project(session: AsyncSession, row: dict[str, Any]) -> list[OpenApplication]:
    others = (await session.execute(select(applications).where(
        applications.c.project_id == row["project_id"], applications.c.id != row["id"],
        applications.c.state.in_(OPEN_STATES)))).mappings().all()
    out = []
    for other in others:
        measure = (await load_version(session, other["policy_version_id"])).document.measure(other["measure_id"])
        if measure is not None:
            out.append(OpenApplication(other["id"], other["measure_id"], measure.project_exempt, measure.combinable_with))
    return out


async def _no_double(session: AsyncSession, row: dict[str, Any], measure: Measure) -> None:
    clashes = double_applications(measure, await _open_for_project(session, row))
    if clashes:
        raise conflict("double_application", "同一项目不得重复申报或多头申报财政资金（S4 附则(三)）",
                       "the project already has an open or approved application for a measure it may not combine with",
                       field="body.project_id", applications=clashes)


async def submit(session: AsyncSession, actor: Actor, jurisdiction: str, app: dict[str, Any], expected_version: int) -> dict[str, Any]:
    ensure_may(actor, app, "submit")
    await _lock(session, f"funding:project:{app['project_id']}")
    row = await _locked_row(session, app, expected_version)
    state = transition(row["state"], "submit")
    today = business_clock(session).today()
    # The application date selects the version in force; an expired policy accepts no new application.
    version, measure = await _measure_in_force(session, jurisdiction, row["policy_id"], row["measure_id"], today)
    await _no_double(session, row, measure)
    saved = await _save(session, row, state=state, submitted_by=actor.id, submitted_on=today, applied_on=today,
                        policy_version_id=version.version_id, clause=measure.clause, award_group=measure.group,
                        draft_policy=version.document.status == "draft")
    await record_event(session, APPLICATION_SUBMITTED, ApplicationSubmitted(
        **_fact_base(saved, version), submitted_on=today, submitted_by_account_id=actor.id), subject=row["id"],
        aggregate_version=saved["version"])
    await audit(session, actor, "funding_application.submit", "funding_application", row["id"], before=row, after=saved)
    return saved


async def _priors(session: AsyncSession, row: dict[str, Any]) -> list[PriorAward]:
    found = (await session.execute(select(awards).where(or_(
        awards.c.applicant_id == row["applicant_id"], awards.c.project_id == row["project_id"],
        awards.c.district == row["district"] if row["district"] is not None else awards.c.id.is_(None),
    )).where(awards.c.application_id != row["id"]).order_by(awards.c.created_at, awards.c.id))).mappings().all()
    return [PriorAward(a["applicant_id"], a["measure_id"], a["award_group"], a["project_id"], a["district"], a["decided_on"],
                       a["year"], int(a["amount_fen"])) for a in found]


def _prior_json(p: PriorAward) -> dict[str, Any]:
    return {"applicant_id": p.applicant_id, "measure_id": p.measure_id, "award_group": p.award_group, "project_id": p.project_id,
            "district": p.district, "decided_on": p.decided_on.isoformat(), "year": p.year, "amount_fen": p.amount_fen}


def _engine_facts(facts: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in facts.items():
        out[key] = tuple(value) if isinstance(value, list) else value
    if "honour" not in out and out.get("titles"):
        out["honour"] = tuple(out["titles"])  # national honours recorded as the registry's recognition titles
    return out


def _run(version: PolicyVersion, row: dict[str, Any], inputs: dict[str, Any], facts: dict[str, Any],
         priors: list[PriorAward], on: date) -> Computation:
    measure = version.document.measure(row["measure_id"])
    assert measure is not None
    claim = Claim(row["applicant_id"], row["project_id"], row["applied_on"], inputs, _engine_facts(facts),
                  district=row["district"], decided_on=on)
    try:
        return compute(version.document, measure, claim, priors)
    except MissingInputs as error:
        problems = [Problem(f"inputs.{n}", "input.missing", "缺少计算所需的数据", "an input the measure needs is missing")
                    for n in error.names]
        problems += [Problem(f"inputs.{n}", "input.invalid", "数据不可用于计算（类型或超过上限比例）", "the input is not usable")
                     for n in error.invalid]
        raise invalid_all("inputs_missing", "缺少计算所需的数据", "inputs the measure needs are missing or invalid", problems) from None


async def _prepare(session: AsyncSession, row: dict[str, Any], official_inputs: dict[str, Any] | None,
                   official_facts: dict[str, Any] | None, on: date) -> tuple[dict[str, Any], dict[str, Any]]:
    kept, supplied = await gathered_facts(session, row["applicant_id"], row["project_id"], row["applied_on"])
    reported = (row["facts"] or {}).get("reported_interest")
    if reported is not None:  # the bank's statement, reported by a service client, replaces the declared interest
        supplied["actual_interest_paid_fen"] = int(reported["actual_interest_paid_fen"])
    inputs = {**row["inputs"], **supplied, **(official_inputs if official_inputs is not None else _official(row["inputs"], row))}
    attested = official_facts if official_facts is not None else {k: v for k, v in row["facts"].items() if k in OFFICIAL_FACTS}
    facts = {**kept, **attested}
    if reported is not None:
        facts["reported_interest"] = reported
    return inputs, facts


def _official(_: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    return dict((row.get("frozen") or {}).get("official_inputs") or {})


def trace_json(result: Computation) -> dict[str, Any]:
    """The computation as stored JSON (tuples as lists), so a replay compares equal to the stored trace."""
    loaded: dict[str, Any] = json.loads(json.dumps(result.as_json()))
    return loaded


async def review(session: AsyncSession, actor: Actor, app: dict[str, Any], expected_version: int, *,
                 official_inputs: dict[str, Any], official_facts: dict[str, Any], note: str | None) -> dict[str, Any]:
    ensure_may(actor, app, "review")
    check_inputs(official_inputs, OFFICIAL_INPUTS, "body.inputs")
    unknown = sorted(set(official_facts) - OFFICIAL_FACTS)
    if unknown:
        raise invalid(f"body.facts.{unknown[0]}", "官员只能确认荣誉或标杆平台事实", "an official attests honour or benchmark only")
    await _lock(session, f"funding:project:{app['project_id']}")
    row = await _locked_row(session, app, expected_version)
    state = transition(row["state"], "review")
    official_inputs = await figures_from_project(session, row, official_inputs)  # an accepted project's figures (money)
    today = business_clock(session).today()
    version = await load_version(session, row["policy_version_id"])
    inputs, facts = await _prepare(session, row, official_inputs, official_facts, today)
    result = _run(version, row, inputs, facts, await _priors(session, row), today)
    saved = await _save(session, row, state=state, reviewed_by=actor.id, reviewed_on=today, review_note=note,
                        facts={**(row["facts"] or {}), **official_facts}, computed_amount_fen=result.amount_fen, trace=trace_json(result),
                        frozen={"official_inputs": official_inputs})
    await record_event(session, APPLICATION_REVIEWED, ApplicationReviewed(
        **_fact_base(saved, version), reviewed_on=today, reviewed_by_account_id=actor.id, computed_amount_fen=result.amount_fen),
        subject=row["id"], aggregate_version=saved["version"])
    await audit(session, actor, "funding_application.review", "funding_application", row["id"], before=row, after=saved)
    return saved


async def approve(session: AsyncSession, actor: Actor, app: dict[str, Any], expected_version: int) -> dict[str, Any]:
    ensure_may(actor, app, "approve")
    await _lock(session, f"funding:uscc:{app['applicant_uscc']}", f"funding:project:{app['project_id']}",
                f"funding:district:{app['district']}" if app["district"] else None, f"funding:applicant:{app['applicant_id']}")
    row = await _locked_row(session, app, expected_version)
    state = transition(row["state"], "approve")
    if same_person(row["reviewed_by"], actor.id):
        raise DomainError("same_person", "审核与审批不得为同一人", "review and approval are done by two different people",
                          field="authorization", kind=Kind.FORBIDDEN)
    today = business_clock(session).today()
    version = await load_version(session, row["policy_version_id"])
    measure = version.document.measure(row["measure_id"])
    assert measure is not None
    await _no_double(session, row, measure)
    payable_until = version.document.payable_after_expiry_until or version.document.valid_until
    if version.document.payable_after_expiry_until is not None and payable_until is not None and today > payable_until:
        raise conflict("payment_period_over", f"该政策的奖补兑现期已于 {payable_until} 结束（S4 附则(四)）",
                       f"the policy's awards were payable until {payable_until}")
    inputs, facts = await _prepare(session, row, None, None, today)
    priors = await _priors(session, row)
    result = _run(version, row, inputs, facts, priors, today)
    if result.refusals:
        raise conflict("award_refused", "不予奖补：" + "；".join(r.message_zh for r in result.refusals),
                       "the award is refused: " + "; ".join(r.message_en for r in result.refusals),
                       codes=[r.code for r in result.refusals])
    if result.amount_fen == 0:
        raise conflict("nothing_to_award", "按上限核算后可奖补金额为零", "every cap is reached: nothing to award")
    frozen = {"policy_version_id": version.version_id, "content_hash": version.content_hash,
              "applied_on": row["applied_on"].isoformat(), "decided_on": today.isoformat(), "inputs": inputs,
              "facts": {k: list(v) if isinstance(v, tuple) else v for k, v in facts.items()},
              "priors": [_prior_json(p) for p in priors], "official_inputs": _official(row["inputs"], row),
              "evidence": [{"id": e["id"], "kind": e["kind"], "sha256": e["sha256"]} for e in await list_evidence(session, row["id"])]}
    # the award reserves its share of each fund source's budget for the measure and the decision's year (资金池)
    await reserve(session, actor, row, result.amount_fen, today.year)
    await session.execute(awards.insert().values(
        id=str(uuid.uuid4()), application_id=row["id"], applicant_id=row["applicant_id"], uscc=row["applicant_uscc"],
        policy_id=row["policy_id"], policy_version_id=version.version_id, measure_id=row["measure_id"],
        award_group=row["award_group"], project_id=row["project_id"], district=row["district"], decided_on=today,
        year=result.year or today.year, amount_fen=result.amount_fen))
    saved = await _save(session, row, state=state, decided_by=actor.id, decided_on=today, amount_fen=result.amount_fen,
                        trace=trace_json(result), frozen=frozen)
    await record_event(session, APPLICATION_APPROVED, ApplicationApproved(
        **_fact_base(saved, version), approved_on=today, approved_by_account_id=actor.id, amount_fen=result.amount_fen,
        award_group=row["award_group"], trace=[TraceLine(rule=s.rule, clause=s.clause, amount_fen=s.amount_fen) for s in result.steps],
        readings=[r["text"] for r in result.readings]), subject=row["id"], aggregate_version=saved["version"])
    await audit(session, actor, "funding_application.approve", "funding_application", row["id"], before=row, after=saved)
    return saved


async def reject(session: AsyncSession, actor: Actor, app: dict[str, Any], expected_version: int, reasons: list[str]) -> dict[str, Any]:
    ensure_may(actor, app, "reject")
    row = await _locked_row(session, app, expected_version)
    stage: Literal["review", "approval"] = "review" if row["state"] == "submitted" else "approval"
    state = transition(row["state"], "reject")
    today = business_clock(session).today()
    version = await load_version(session, row["policy_version_id"])
    saved = await _save(session, row, state=state, decided_by=actor.id, decided_on=today, reasons=reasons)
    await record_event(session, APPLICATION_REJECTED, ApplicationRejected(
        **_fact_base(saved, version), rejected_on=today, rejected_by_account_id=actor.id, stage=stage, reasons=reasons),
        subject=row["id"], aggregate_version=saved["version"])
    await audit(session, actor, "funding_application.reject", "funding_application", row["id"], before=row, after=saved)
    return saved


async def computation(session: AsyncSession, actor: Actor, app: dict[str, Any]) -> dict[str, Any]:
    """The decision's trace replayed from its frozen inputs (same trace), or a preview before a decision."""
    version = await load_version(session, app["policy_version_id"])
    if app["state"] == "approved" and app["frozen"]:
        frozen = app["frozen"]
        priors = [PriorAward(p["applicant_id"], p["measure_id"], p["award_group"], p["project_id"], p["district"],
                             date.fromisoformat(p["decided_on"]), p["year"], p["amount_fen"]) for p in frozen["priors"]]
        result = _run(version, app, frozen["inputs"], frozen["facts"], priors, date.fromisoformat(frozen["decided_on"]))
        replayed = trace_json(result)
        return {"application_id": app["id"], "kind": "replay", "policy_version_id": version.version_id,
                "computation": replayed, "same_as_decision": replayed == app["trace"], "frozen": frozen}
    today = business_clock(session).today()
    inputs, facts = await _prepare(session, app, None, None, today)
    result = _run(version, app, inputs, facts, await _priors(session, app), today)
    return {"application_id": app["id"], "kind": "preview", "policy_version_id": version.version_id,
            "computation": trace_json(result), "same_as_decision": None, "frozen": None}


EVIDENCE_STATES = ("draft", "submitted")


async def attach_evidence(session: AsyncSession, files: FileStore, actor: Actor, app: dict[str, Any], *, kind: str,
                          filename: str, data: bytes) -> dict[str, Any]:
    """The applicant attaches a file (type read from the content) while the application is a draft or submitted."""
    ensure_may(actor, app, "submit")
    if app["state"] not in EVIDENCE_STATES:
        raise conflict("evidence_closed", "审核后不能再上传佐证材料", "evidence is attached before review")
    if not data:
        raise invalid("body.file", "文件为空", "the file is empty", "empty_file")
    content_type = sniff(data, field="body.file")
    evidence_id = str(uuid.uuid4())
    stored = await store_in(session, files, f"applications/{app['id']}/evidence/{evidence_id}", data, content_type)
    values = {"id": evidence_id, "application_id": app["id"], "kind": kind, "filename": clean_filename(filename, "evidence"),
              "content_type": content_type, "size": stored.size, "sha256": stored.sha256, "storage_key": stored.key,
              "uploaded_by": actor.id}
    await session.execute(evidence.insert().values(**values))
    await audit(session, actor, "funding_application.attach_evidence", "funding_application", app["id"], after=values)
    return await get_evidence(session, app["id"], evidence_id)


async def list_evidence(session: AsyncSession, application_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(select(evidence).where(evidence.c.application_id == application_id)
                                 .order_by(evidence.c.uploaded_at, evidence.c.id))
    return [dict(r) for r in rows.mappings()]


async def get_evidence(session: AsyncSession, application_id: str, evidence_id: str) -> dict[str, Any]:
    row = (await session.execute(select(evidence).where(evidence.c.application_id == application_id,
                                                        evidence.c.id == evidence_id))).mappings().first()
    if row is None:
        raise not_found("evidence", evidence_id)
    return dict(row)


async def report_interest(session: AsyncSession, actor: Actor, application_id: str, *, amount_fen: int,
                          source: str) -> dict[str, Any]:
    """A ``service`` client (the bank's interface) reports the interest actually paid (S2 四(一)1) before approval."""
    row = (await session.execute(select(applications).where(applications.c.id == application_id).with_for_update())).mappings().first()
    if row is None:
        raise not_found("funding application", application_id)
    if row["state"] not in ("submitted", "reviewed"):
        raise conflict("interest_closed", "只能为待审核或待审批的申请报告利息",
                       "interest is reported for a submitted or reviewed application")
    facts = {**(row["facts"] or {}), "reported_interest": {"actual_interest_paid_fen": amount_fen, "source": source,
                                                            "reported_by": actor.id}}
    saved = await _save(session, dict(row), facts=facts)
    await audit(session, actor, "funding_application.report_interest", "funding_application", application_id,
                before=dict(row), after=saved)
    return saved


async def list_awards(session: AsyncSession, actor: Actor, *, measure_id: str | None, limit: int,
                      offset: int) -> tuple[list[dict[str, Any]], int]:
    query = select(awards).where(where(policy.subsidies(actor), AWARD_COLUMNS))
    if measure_id:
        query = query.where(awards.c.measure_id == measure_id)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await session.execute(query.order_by(awards.c.created_at, awards.c.id).limit(limit).offset(offset))).mappings()
    return [dict(r) for r in rows], int(total)
