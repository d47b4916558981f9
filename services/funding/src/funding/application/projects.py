"""Use cases on transformation projects (数字化改造项目, S2 五(五)): contract, approved investment, progress,
supervision findings, completion, acceptance; the catalogue versions and titles they rely on.

Take a session and never commit. A pilot enterprise (in the pool, not removed) contracts a traction unit that holds
a valid ``traction_unit`` title on the day (not revoked); every line names an admitted catalogue product version
and package (funding's read model of catalog's admitted / changed facts) and is flagged when priced above the
package's catalogue price (price corridor). A revoked title flags the unit's running projects for a decision; the
unit signs no new contract.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import Attribute, where
from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.consumer import Reaction, Subscription
from sihua_shared.contracts.catalog import PRODUCT_ADMITTED, PRODUCT_CHANGED, ProductAdmitted, ProductChanged
from sihua_shared.contracts.diagnosis import ASSESSMENT_COMPLETED, AssessmentCompleted
from sihua_shared.contracts.funding import (
    ACCEPTANCE_APPLIED,
    INVESTMENT_APPROVED,
    PROGRESS_REPORTED,
    PROJECT_ACCEPTED,
    PROJECT_COMPLETED,
    PROJECT_CONTRACTED,
    PROJECT_FAILED,
    AcceptanceApplied,
    ContractLine,
    InvestmentApproved,
    Milestone,
    ProgressReported,
    ProjectAccepted,
    ProjectCompleted,
    ProjectContracted,
    ProjectFailed,
)
from sihua_shared.contracts.registry import TITLE_REVOKED, TitleRevoked
from sihua_shared.errors import Problem, conflict, forbidden, invalid, invalid_all, not_found, stale_version
from sihua_shared.events import CloudEvent
from sihua_shared.outbox import record_event

from ..adapters.project_tables import acceptance_batches, catalog_versions, post_assessments, project_reports, projects
from ..adapters.readmodels import known_organisations, known_titles, pilot_pool
from ..domain import access as policy
from ..domain.access import DISTRICT, ORGANISATION, TRACTION_UNIT
from ..domain.projects import MACHINE, RUNNING, Line, priced

COLUMNS: dict[str, Attribute] = {ORGANISATION: projects.c.enterprise_id, DISTRICT: projects.c.district,
                                 TRACTION_UNIT: projects.c.traction_unit_id}


def _resource(row: dict[str, Any]) -> dict[str, Any]:
    return {ORGANISATION: row["enterprise_id"], DISTRICT: row["district"], TRACTION_UNIT: row["traction_unit_id"]}


# ---- facts kept ---------------------------------------------------------------------------------------------------

async def record_product_version(session: AsyncSession, envelope: CloudEvent, payload: ProductAdmitted | ProductChanged) -> None:
    """An admitted product version with each package's price (idempotent: a version's packages never change)."""
    admitted_on = payload.admitted_on if isinstance(payload, ProductAdmitted) else payload.changed_on
    await session.execute(pg_insert(catalog_versions).values(
        product_id=payload.product_id, version=payload.version, organisation_id=payload.organisation_id,
        catalogue_number=payload.catalogue_number, name=payload.name,
        packages={p.code: p.price_fen for p in payload.packages}, admitted_on=admitted_on).on_conflict_do_nothing())


async def flag_revoked_unit(session: AsyncSession, envelope: CloudEvent, payload: TitleRevoked) -> None:
    """A traction unit's title was revoked: its running projects are flagged for a decision."""
    if payload.kind != "traction_unit":
        return
    await session.execute(update(projects).where(
        projects.c.traction_unit_id == payload.organisation_id, projects.c.state.in_(RUNNING), projects.c.flag.is_(None))
        .values(flag=f"牵引单位称号已撤销（{payload.reason}），待决定", version=projects.c.version + 1))


async def record_post_assessment(session: AsyncSession, envelope: CloudEvent, payload: AssessmentCompleted) -> None:
    """A post-transformation assessment with the business day it was completed (the fact's time, Asia/Shanghai)."""
    if payload.stage != "post_transformation":
        return
    taken_on = datetime.fromisoformat(envelope.time.replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Shanghai")).date()
    values = {"assessment_id": payload.assessment_id, "enterprise_id": payload.enterprise_id, "kind": payload.kind,
              "level": payload.level, "official": payload.official_record is not False, "taken_on": taken_on}
    await session.execute(pg_insert(post_assessments).values(**values).on_conflict_do_nothing())


SUBSCRIPTIONS = [
    Subscription("funding", "diagnosis", [Reaction(ASSESSMENT_COMPLETED, record_post_assessment)]),
    Subscription("funding", "catalog", [Reaction(PRODUCT_ADMITTED, record_product_version),
                                        Reaction(PRODUCT_CHANGED, record_product_version)]),
    Subscription("funding", "registry", [Reaction(TITLE_REVOKED, flag_revoked_unit)]),
]


# ---- reading ------------------------------------------------------------------------------------------------------

def visible(actor: Actor) -> Select[Any]:
    return select(projects).where(where(policy.projects(actor), COLUMNS))


async def _reload(session: AsyncSession, project_id: str) -> dict[str, Any]:
    return dict((await session.execute(select(projects).where(projects.c.id == project_id))).mappings().one())


async def get_project(session: AsyncSession, actor: Actor, project_id: str) -> dict[str, Any]:
    row = (await session.execute(visible(actor).where(projects.c.id == project_id))).mappings().first()
    if row is None:
        raise not_found("transformation project", project_id)
    out = dict(row)
    reports = await session.execute(select(project_reports).where(project_reports.c.project_id == project_id)
                                    .order_by(project_reports.c.created_at, project_reports.c.id))
    out["reports"] = [dict(r) for r in reports.mappings()]
    return out


async def list_projects(session: AsyncSession, actor: Actor, *, state: str | None, flagged: bool | None, limit: int,
                        offset: int) -> tuple[list[dict[str, Any]], int]:
    query = visible(actor)
    if state:
        query = query.where(projects.c.state == state)
    if flagged is not None:
        query = query.where((projects.c.flag.is_not(None) | projects.c.price_flagged) if flagged
                            else (projects.c.flag.is_(None) & ~projects.c.price_flagged))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(projects.c.created_at, projects.c.id).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


# ---- guards -------------------------------------------------------------------------------------------------------

async def _valid_title(session: AsyncSession, traction_unit_id: str, on: date) -> str:
    row = (await session.execute(select(known_titles.c.title_id).where(
        known_titles.c.organisation_id == traction_unit_id, known_titles.c.kind == "traction_unit",
        known_titles.c.revoked_on.is_(None), known_titles.c.valid_from <= on,
        (known_titles.c.valid_until.is_(None)) | (known_titles.c.valid_until >= on)).order_by(known_titles.c.title_id))).first()
    if row is None:
        raise conflict("no_valid_title", "该牵引单位没有有效的牵引单位称号（或已被撤销），不能签订新合同",
                       "the traction unit holds no valid title on the day: it signs no new contract", field="body.traction_unit_id")
    return str(row[0])


async def _pilot(session: AsyncSession, enterprise_id: str, on: date) -> dict[str, Any]:
    member = (await session.execute(select(pilot_pool).where(pilot_pool.c.enterprise_id == enterprise_id))).mappings().first()
    if member is None or member["enrolled_on"] is None or (member["removed_on"] is not None and member["removed_on"] <= on):
        raise forbidden("只有试点企业名单内的企业可以签订改造项目", "only an enterprise of the pilot pool contracts a project")
    org = (await session.execute(select(known_organisations).where(
        known_organisations.c.organisation_id == enterprise_id))).mappings().first()
    return {"uscc": member["uscc"], "district": (org["district"] if org else None) or member["district"]}


async def _priced_lines(session: AsyncSession, lines: list[Line]) -> list[dict[str, Any]]:
    keys = {(line.product_id, line.version) for line in lines}
    found = (await session.execute(select(catalog_versions).where(
        catalog_versions.c.product_id.in_([k[0] for k in keys])))).mappings().all()
    catalogue = {(r["product_id"], r["version"]): {k: int(v) for k, v in r["packages"].items()} for r in found}
    out, problems = priced(lines, catalogue)
    if problems:
        found_problems = [Problem(p, "catalogue.not_admitted", "该产品版本或套餐未入库", "not an admitted version and package")
                          for p in problems]
        raise invalid_all("lines_not_admitted", "合同条目须为已入库产品的版本与套餐",
                          "every line names an admitted product version and package", found_problems)
    return out


# ---- steps --------------------------------------------------------------------------------------------------------

def _fact(row: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": row["id"], "enterprise_id": row["enterprise_id"], "enterprise_uscc": row["enterprise_uscc"],
            "traction_unit_id": row["traction_unit_id"], "district": row["district"]}


async def create_project(session: AsyncSession, actor: Actor, *, traction_unit_id: str, contract_number: str,
                         contract_amount_fen: int, declared_investment_fen: int, lines: list[Line],
                         milestones: list[dict[str, Any]]) -> dict[str, Any]:
    if not actor.has("enterprise") or actor.org is None:
        raise forbidden("改造项目由试点企业登记", "a pilot enterprise records its project")
    today = business_clock(session).today()
    pilot = await _pilot(session, actor.org, today)
    title_id = await _valid_title(session, traction_unit_id, today)
    priced_lines = await _priced_lines(session, lines)
    _unique_milestones(milestones)
    if sum(line["amount_fen"] for line in priced_lines) > contract_amount_fen:
        raise invalid("body.lines", "合同条目金额之和不得超过合同金额", "the lines add up to more than the contract amount",
                      "lines_above_contract")
    row = {"id": str(uuid.uuid4()), "enterprise_id": actor.org, "enterprise_uscc": pilot["uscc"], "district": pilot["district"],
           "traction_unit_id": traction_unit_id, "title_id": title_id, "state": "draft", "contract_number": contract_number,
           "contract_amount_fen": contract_amount_fen, "declared_investment_fen": declared_investment_fen,
           "lines": priced_lines, "milestones": milestones,
           "price_flagged": any(line["above_catalogue_price"] for line in priced_lines), "created_by": actor.id}
    await session.execute(projects.insert().values(**row))
    await audit(session, actor, "funding_project.create", "funding_project", row["id"], after=row)
    return await get_project(session, actor, row["id"])


def _unique_milestones(milestones: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for i, milestone in enumerate(milestones):
        if milestone["name"] in seen:
            raise invalid(f"body.milestones.{i}.name", "里程碑名称在项目内不得重复", "a milestone's name is unique in "
                          "the project", "duplicate_milestone")
        seen.add(milestone["name"])


def _milestones(row: dict[str, Any]) -> list[Milestone]:
    """The project's milestones as the contracted fact carries them (a record without a due date is left out)."""
    return [Milestone(name=m["name"], due_on=m["due_on"]) for m in row["milestones"] if "name" in m and "due_on" in m]


def ensure_may(actor: Actor, row: dict[str, Any], action: str) -> None:
    resource = _resource(row)
    if action in ("submit", "apply_acceptance"):
        if not (actor.has("enterprise") and actor.org == resource[ORGANISATION]):
            raise forbidden("由签约企业操作", "the contracting enterprise does this")
    elif action in ("report", "complete"):
        if not (actor.has("provider") and actor.org == resource[TRACTION_UNIT]):
            raise forbidden("由承担项目的牵引单位操作", "the project's traction unit does this")
    elif action == "approve_investment":
        if not actor.has("third_party"):
            raise forbidden("核定投入由第三方机构进行", "the third-party organisation sets the approved investment")
    elif action == "finding":
        if not actor.has("third_party", "city_officer"):
            raise forbidden("监理意见由第三方机构或市级官员记录", "a third party or a city officer records findings")
    elif action in ("accept", "fail") and not actor.has("city_officer"):
        raise forbidden("验收结论由市级官员作出", "a city officer decides acceptance")


async def _locked(session: AsyncSession, row: dict[str, Any], expected_version: int) -> dict[str, Any]:
    locked = dict((await session.execute(select(projects).where(projects.c.id == row["id"]).with_for_update())).mappings().one())
    if locked["version"] != expected_version:
        raise stale_version("transformation project", "改造项目")
    return locked


async def _save(session: AsyncSession, actor: Actor, before: dict[str, Any], action: str, **values: Any) -> dict[str, Any]:
    await session.execute(update(projects).where(projects.c.id == before["id"]).values(**values, version=projects.c.version + 1))
    saved = await _reload(session, before["id"])
    await audit(session, actor, f"funding_project.{action}", "funding_project", before["id"], before=before, after=saved)
    return saved


async def submit(session: AsyncSession, actor: Actor, project: dict[str, Any], expected_version: int) -> dict[str, Any]:
    ensure_may(actor, project, "submit")
    row = await _locked(session, project, expected_version)
    state = MACHINE.step(row["state"], "submit")
    today = business_clock(session).today()
    title_id = await _valid_title(session, row["traction_unit_id"], today)
    saved = await _save(session, actor, row, "submit", state=state, title_id=title_id, contracted_on=today)
    await record_event(session, PROJECT_CONTRACTED, ProjectContracted(
        **_fact(saved), contract_number=saved["contract_number"], contract_amount_fen=int(saved["contract_amount_fen"]),
        declared_investment_fen=int(saved["declared_investment_fen"]), title_id=title_id, contracted_on=today,
        lines=[ContractLine(**{k: line[k] for k in ContractLine.model_fields}) for line in saved["lines"]],
        milestones=_milestones(saved)),
        subject=saved["id"], aggregate_version=saved["version"])
    return saved


async def approve_investment(session: AsyncSession, actor: Actor, project: dict[str, Any], expected_version: int, *,
                             approved_investment_fen: int) -> dict[str, Any]:
    ensure_may(actor, project, "approve_investment")
    row = await _locked(session, project, expected_version)
    state = MACHINE.step(row["state"], "approve_investment", approved_investment_fen=approved_investment_fen,
                         declared_investment_fen=int(row["declared_investment_fen"]))
    today = business_clock(session).today()
    saved = await _save(session, actor, row, "approve_investment", state=state, approved_investment_fen=approved_investment_fen,
                        checked_by=actor.id, checked_on=today)
    await record_event(session, INVESTMENT_APPROVED, InvestmentApproved(
        **_fact(saved), approved_investment_fen=approved_investment_fen, approved_on=today, approved_by_account_id=actor.id),
        subject=saved["id"], aggregate_version=saved["version"])
    return saved


async def report(session: AsyncSession, actor: Actor, project: dict[str, Any], expected_version: int, *, kind: str,
                 percent: int | None, milestone: str | None, text: str) -> dict[str, Any]:
    """The traction unit's progress report (moves an approved project into progress), or a supervision finding."""
    ensure_may(actor, project, "report" if kind == "progress" else "finding")
    row = await _locked(session, project, expected_version)
    today = business_clock(session).today()
    values: dict[str, Any] = {}
    if kind == "progress":
        if percent is None:
            raise invalid("body.percent", "进度报告须填写完成百分比", "a progress report gives its percent", "percent_required")
        if percent < int(row["progress_percent"]):
            raise invalid("body.percent", "进度不得倒退", "progress never goes back", "progress_backwards")
        if milestone is not None and milestone not in {m.get("name") for m in row["milestones"]}:
            raise invalid("body.milestone", "达成的里程碑须为本项目的里程碑之一", "the milestone reached is one of the "
                          "project's", "unknown_milestone")
        values = {"state": MACHINE.step(row["state"], "report"), "progress_percent": percent}
    elif row["state"] == "draft":
        raise conflict("not_contracted", "项目尚未签约提交", "the project is not contracted yet")
    await session.execute(project_reports.insert().values(
        id=str(uuid.uuid4()), project_id=row["id"], kind=kind, percent=percent, milestone=milestone, text=text,
        reported_on=today, reported_by=actor.id))
    saved = await _save(session, actor, row, "progress" if kind == "progress" else "finding", **values)
    if kind == "progress":
        await record_event(session, PROGRESS_REPORTED, ProgressReported(
            **_fact(saved), percent=int(percent or 0), reported_on=today, milestone=milestone),
            subject=saved["id"], aggregate_version=saved["version"])
    return saved


async def complete(session: AsyncSession, actor: Actor, project: dict[str, Any], expected_version: int) -> dict[str, Any]:
    ensure_may(actor, project, "complete")
    row = await _locked(session, project, expected_version)
    reports = (await session.execute(select(func.count()).select_from(project_reports).where(
        project_reports.c.project_id == row["id"], project_reports.c.kind == "progress"))).scalar_one()
    state = MACHINE.step(row["state"], "complete", reports=int(reports))
    today = business_clock(session).today()
    saved = await _save(session, actor, row, "complete", state=state, completed_on=today, progress_percent=100)
    await record_event(session, PROJECT_COMPLETED, ProjectCompleted(**_fact(saved), completed_on=today),
                       subject=saved["id"], aggregate_version=saved["version"])
    return saved


async def open_batch(session: AsyncSession, actor: Actor, *, name: str, year: int, closes_on: date) -> dict[str, Any]:
    """The city opens an acceptance batch (验收批次) until ``closes_on``."""
    if not actor.has("city_officer"):
        raise forbidden("验收批次由市级官员开启", "a city officer opens acceptance batches")
    today = business_clock(session).today()
    if closes_on < today:
        raise invalid("body.closes_on", "截止日期不得早于今天", "a batch closes today or later", "closes_in_past")
    row = {"id": str(uuid.uuid4()), "name": name, "year": year, "opened_on": today, "closes_on": closes_on,
           "created_by": actor.id}
    await session.execute(acceptance_batches.insert().values(**row))
    await audit(session, actor, "funding_acceptance_batch.open", "funding_acceptance_batch", str(row["id"]), after=row)
    return dict((await session.execute(select(acceptance_batches).where(acceptance_batches.c.id == row["id"]))).mappings().one())


async def list_batches(session: AsyncSession, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    total = (await session.execute(select(func.count()).select_from(acceptance_batches))).scalar_one()
    rows = await session.execute(select(acceptance_batches).order_by(acceptance_batches.c.opened_on.desc(), acceptance_batches.c.id)
                                 .limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


async def apply_acceptance(session: AsyncSession, actor: Actor, project: dict[str, Any], expected_version: int, *,
                           batch_id: str, invoices: list[dict[str, Any]]) -> dict[str, Any]:
    """The enterprise applies in an open batch with its invoices (amounts tax-exclusive, in fen)."""
    ensure_may(actor, project, "apply_acceptance")
    row = await _locked(session, project, expected_version)
    state = MACHINE.step(row["state"], "apply_acceptance")
    today = business_clock(session).today()
    batch = (await session.execute(select(acceptance_batches).where(acceptance_batches.c.id == batch_id))).mappings().first()
    if batch is None or not batch["opened_on"] <= today <= batch["closes_on"]:
        raise conflict("batch_not_open", "该验收批次不存在或未在受理期", "the acceptance batch is not open", field="body.batch_id")
    saved = await _save(session, actor, row, "apply_acceptance", state=state, batch_id=batch_id, invoices=invoices,
                        invoiced_fen=sum(int(i["amount_fen"]) for i in invoices))
    await record_event(session, ACCEPTANCE_APPLIED, AcceptanceApplied(**_fact(saved), applied_on=today),
                       subject=saved["id"], aggregate_version=saved["version"])
    return saved


async def _post_assessment(session: AsyncSession, row: dict[str, Any]) -> dict[str, Any]:
    """The latest official on-site post-transformation assessment taken on or after the project's completion."""
    found = (await session.execute(select(post_assessments).where(
        post_assessments.c.enterprise_id == row["enterprise_id"], post_assessments.c.kind == "onsite",
        post_assessments.c.official.is_(True), post_assessments.c.taken_on >= row["completed_on"])
        .order_by(post_assessments.c.taken_on.desc(), post_assessments.c.assessment_id.desc()))).mappings().first()
    if found is None:
        raise conflict("no_post_assessment", "验收须有项目完成后的改造后现场评估", "acceptance needs an on-site post-transformation "
                       "assessment taken after the project's completion")
    return dict(found)


async def decide(session: AsyncSession, actor: Actor, project: dict[str, Any], expected_version: int, *, passed: bool,
                 verified_actual_investment_fen: int | None, reasons: list[str]) -> dict[str, Any]:
    action = "accept" if passed else "fail"
    ensure_may(actor, project, action)
    row = await _locked(session, project, expected_version)
    state = MACHINE.step(row["state"], action)
    today = business_clock(session).today()
    if passed:
        if verified_actual_investment_fen is None:
            raise invalid("body.verified_actual_investment_fen", "验收通过须核实实际投入", "acceptance verifies the actual investment",
                          "actual_investment_required")
        if verified_actual_investment_fen > int(row["invoiced_fen"] or 0):
            raise invalid("body.verified_actual_investment_fen", "核实的实际投入不得高于发票金额（不含税）",
                          "the verified actual investment is never above the invoices (tax-exclusive)", "above_invoices")
        assessment = await _post_assessment(session, row)
        saved = await _save(session, actor, row, action, state=state, verified_actual_investment_fen=verified_actual_investment_fen,
                            assessment_id=assessment["assessment_id"], post_level=assessment["level"])
        await record_event(session, PROJECT_ACCEPTED, ProjectAccepted(
            **_fact(saved), accepted_on=today, verified_actual_investment_fen=verified_actual_investment_fen),
            subject=saved["id"], aggregate_version=saved["version"])
        return saved
    if not reasons:
        raise invalid("body.reasons", "验收不通过须说明理由", "a failed acceptance gives its reasons", "reasons_required")
    saved = await _save(session, actor, row, action, state=state)
    await record_event(session, PROJECT_FAILED, ProjectFailed(**_fact(saved), failed_on=today, reasons=reasons),
                       subject=saved["id"], aggregate_version=saved["version"])
    return saved


# ---- the S2 subsidy's review takes the project's figures ------------------------------------------------------------

PROJECT_MEASURE = "s2-transformation"
PROJECT_FIGURES = ("approved_investment_fen", "verified_actual_investment_fen")


async def figures_from_project(session: AsyncSession, app: dict[str, Any], official_inputs: dict[str, Any]) -> dict[str, Any]:
    """An ``s2-transformation`` application whose project id is a funding project: the review takes the project's
    approved investment (核定投入) and verified actual investment from it — the project must be accepted and the
    applicant's own; a figure the reviewer types that differs is refused. Other applications pass unchanged."""
    if app["measure_id"] != PROJECT_MEASURE:
        return official_inputs
    project = (await session.execute(select(projects).where(projects.c.id == app["project_id"]))).mappings().first()
    if project is None:
        return official_inputs
    if project["enterprise_id"] != app["applicant_id"]:
        raise conflict("project_not_own", "该改造项目不属于申请企业", "the project is not the applicant's", field="body.inputs")
    if project["state"] != "accepted":
        raise conflict("project_not_accepted", "改造项目尚未通过验收", "the transformation project is not accepted yet")
    figures = {name: int(project[name]) for name in PROJECT_FIGURES}
    for name, value in figures.items():
        typed = official_inputs.get(name)
        if typed is not None and typed != value:
            raise conflict("project_figures_mismatch", "审核填写的投入与改造项目记录不一致", "the figure differs from the project's record",
                           field=f"body.inputs.{name}", project_fen=value)
    return {**official_inputs, **figures}
