"""Use cases on indicator models and cycles: upload a model, open a cycle, compute its results (a progress check, any
quarter), draw the audit samples, close it (tiers for traction units), rank providers by outcome."""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts.evaluation import (
    CYCLE_CLOSED,
    CYCLE_OPENED,
    SAMPLE_DRAWN,
    TIER_ASSIGNED,
    CycleClosed,
    CycleOpened,
    SampleDrawn,
    TierAssigned,
)
from sihua_shared.errors import DomainError, Problem, conflict, invalid, invalid_all, not_found
from sihua_shared.outbox import record_event

from ..adapters.eval_tables import cycles, evaluation_facts, findings, indicator_models, results, samples, submissions
from ..adapters.readmodels import known_organisations, known_titles, pilot_pool
from ..domain import cycles as cycle_rules
from ..domain.indicators import IN_YEAR, PROJECT_COMPLETED, Fact, Finding, Grading, Submission, compute
from ..domain.model import IndicatorModel, LoadedModel, ModelInvalid, parse_model
from ..domain.sampling import draw
from .common import ensure_shipped_models, get_cycle, guarded_update, load_model

# ---- models -----------------------------------------------------------------------------------------


async def list_models(session: AsyncSession) -> list[dict[str, Any]]:
    await ensure_shipped_models(session)
    rows = (await session.execute(select(indicator_models).order_by(indicator_models.c.created_at))).mappings()
    return [dict(r) for r in rows]


async def upload_model(session: AsyncSession, actor: Actor, content: str) -> dict[str, Any]:
    """A new version of a model (officials replace the shipped reading without a release); validated first."""
    try:
        loaded = parse_model(content)
    except ModelInvalid as exc:
        raise invalid_all("model_invalid", "指标模型文件无效", "the indicator model is invalid",
                          [Problem(f"body.content.{loc}", "model_invalid", msg, msg) for loc, msg in exc.problems]) from exc
    await ensure_shipped_models(session)
    row = {"version_id": loaded.version, "model_id": loaded.model.id, "kind": loaded.model.kind, "content": content,
           "content_hash": loaded.content_hash, "uploaded_by": actor.id}
    inserted = (await session.execute(pg_insert(indicator_models).values(**row).on_conflict_do_nothing()
                                      .returning(indicator_models.c.version_id))).first()
    if inserted is None:
        raise conflict("model_exists", "该版本的指标模型已存在", "this model version exists", field="body.content",
                       version_id=loaded.version)
    await audit(session, actor, "indicator_model.upload", "indicator_model", loaded.version, after=row)
    return {**row, "created_at": None}


# ---- cycles -------------------------------------------------------------------------------------------


async def open_cycle(session: AsyncSession, actor: Actor, *, kind: str, year: int, model_version: str | None,
                     seed: str | None) -> dict[str, Any]:
    await ensure_shipped_models(session)
    if model_version is None:
        found = (await session.execute(
            select(indicator_models.c.version_id).where(indicator_models.c.kind == kind)
            .order_by(indicator_models.c.created_at.desc(), indicator_models.c.version_id).limit(1)
        )).scalar_one()
        model_version = str(found)
    row = (await session.execute(select(indicator_models).where(indicator_models.c.version_id == model_version))).mappings().first()
    if row is None:
        raise invalid("body.model_version", "未找到该指标模型版本", "no such indicator model version")
    if row["kind"] != kind:
        raise invalid("body.model_version", "指标模型适用的对象与周期不符", f"the model evaluates {row['kind']}, not {kind}")
    existing = (await session.execute(select(cycles.c.id).where(cycles.c.kind == kind, cycles.c.year == year))).first()
    if existing is not None:
        raise conflict("cycle_exists", "该年度的评价周期已存在", "a cycle of this kind and year exists", field="body.year",
                       cycle_id=existing[0])
    today = business_clock(session).today()
    cycle_id, chosen_seed = str(uuid.uuid4()), seed or secrets.token_hex(16)
    cycle: dict[str, Any] = {"id": cycle_id, "kind": kind, "year": year, "model_version": model_version,
             "seed": chosen_seed, "state": "open", "opened_on": today, "opened_by": actor.id,
             "version": 1}
    await session.execute(cycles.insert().values(**cycle))
    await record_event(session, CYCLE_OPENED, CycleOpened(
        cycle_id=cycle_id, kind=kind, year=year, model_id=row["model_id"],  # type: ignore[arg-type]
        model_version=model_version, seed=chosen_seed, opened_on=today,
    ), subject=cycle_id, aggregate_version=1)
    await audit(session, actor, "evaluation_cycle.open", "evaluation_cycle", cycle_id, after=cycle)
    return {**cycle, "closed_on": None, "last_check_on": None, "last_check_quarter": None}


async def list_cycles(session: AsyncSession, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    total = (await session.execute(select(func.count()).select_from(cycles))).scalar_one()
    rows = (await session.execute(select(cycles).order_by(cycles.c.year.desc(), cycles.c.kind).limit(limit).offset(offset))).mappings()
    return [dict(r) for r in rows], int(total)


def _year_bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


async def evaluated_titles(session: AsyncSession, cycle: dict[str, Any]) -> list[dict[str, Any]]:
    """The titles of the cycle's kind valid at some time in its year and not revoked before it began."""
    start, end = _year_bounds(cycle["year"])
    query = select(known_titles).where(
        known_titles.c.kind == cycle["kind"],
        or_(known_titles.c.valid_from.is_(None), known_titles.c.valid_from <= end),
        or_(known_titles.c.valid_until.is_(None), known_titles.c.valid_until >= start),
        or_(known_titles.c.revoked_on.is_(None), known_titles.c.revoked_on >= start),
    ).order_by(known_titles.c.organisation_id, known_titles.c.title_number)
    seen: dict[str, dict[str, Any]] = {}
    for row in (await session.execute(query)).mappings():
        seen.setdefault(row["organisation_id"], dict(row))  # one result per provider: its first title of the kind
    return list(seen.values())


async def cycle_facts(session: AsyncSession, cycle: dict[str, Any], until: date | None = None) -> list[Fact]:
    """The facts a cycle's indicators count: services and surveys of its year (up to ``until``), every assessment up to
    the year's end (a baseline may predate the year)."""
    start, end = _year_bounds(cycle["year"])
    last = min(end, until) if until else end
    in_year = evaluation_facts.c.type.in_(IN_YEAR)
    query = select(evaluation_facts).where(
        evaluation_facts.c.occurred_on <= last,
        or_(~in_year, evaluation_facts.c.occurred_on >= start),
    ).order_by(evaluation_facts.c.occurred_on, evaluation_facts.c.created_at, evaluation_facts.c.event_id)
    return [Fact(r["event_id"], r["type"], r["occurred_on"], r["provider_id"], r["enterprise_id"], r["data"])
            for r in (await session.execute(query)).mappings()]


async def sectors(session: AsyncSession) -> dict[str, str | None]:
    """Each enterprise's sector: the registry's organisation profile, else its pilot-pool enrolment."""
    found: dict[str, str | None] = {r.enterprise_id: r.sector for r in await session.execute(
        select(pilot_pool.c.enterprise_id, pilot_pool.c.sector))}
    for r in await session.execute(select(known_organisations.c.organisation_id, known_organisations.c.sector)
                                   .where(known_organisations.c.sector.is_not(None))):
        found[r.organisation_id] = r.sector
    return found


async def grade_provider(session: AsyncSession, cycle: dict[str, Any], model: IndicatorModel, provider_id: str,
                         facts: list[Fact], sector_of: dict[str, str | None]) -> Grading:
    subs = [Submission(r.id, r.indicator_id, Decimal(r.value), r.evidence) for r in await session.execute(
        select(submissions).where(submissions.c.cycle_id == cycle["id"], submissions.c.provider_id == provider_id)
        .order_by(submissions.c.created_at, submissions.c.id))]
    found = [Finding(r.id, r.severity, r.enterprise_id, r.summary) for r in await session.execute(
        select(findings).where(findings.c.cycle_id == cycle["id"], findings.c.provider_id == provider_id)
        .order_by(findings.c.created_at, findings.c.id))]
    return compute(model, provider_id, facts, sectors=sector_of, submissions=subs, findings=found, year=cycle["year"])


def require_open(cycle: dict[str, Any]) -> None:
    if cycle["state"] != "open":
        raise conflict("cycle_closed", "评价周期已结束", "the cycle is closed")


async def compute_cycle(session: AsyncSession, actor: Actor, cycle: dict[str, Any], quarter: int | None = None
                        ) -> list[dict[str, Any]]:
    """Compute (or refresh, as a quarterly progress check) every provider's result from the facts up to the end of
    ``quarter`` (default: the current one) and today. A result already in due process (noticed, proposed,
    appealed, issued) is frozen: its re-check recomputes it."""
    require_open(cycle)
    today = business_clock(session).today()
    quarter = quarter or cycle_rules.current_quarter(cycle["year"], today)
    model = (await load_model(session, cycle["model_version"])).model
    facts = await cycle_facts(session, cycle, min(today, cycle_rules.quarter_end(cycle["year"], quarter)))
    sector_of = await sectors(session)
    held = {r["provider_id"]: dict(r) for r in (await session.execute(
        select(results).where(results.c.cycle_id == cycle["id"]))).mappings()}
    out = []
    for title in await evaluated_titles(session, cycle):
        provider = title["organisation_id"]
        grading = await grade_provider(session, cycle, model, provider, facts, sector_of)
        values = {"computed_grade": grading.grade, "grade": grading.grade, "score_milli": grading.score_milli,
                  "tier": grading.tier, "support": grading.support, "trace": grading.trace() | {"quarter": quarter},
                  "computed_on": today, "reasons": grading.reasons()}
        before = held.get(provider)
        if before is None:
            row = {"id": str(uuid.uuid4()), "cycle_id": cycle["id"], "provider_id": provider,
                   "provider_uscc": title["uscc"], "title_id": title["title_id"], "title_number": title["title_number"],
                   "state": "computed", "version": 1, **values}
            await session.execute(results.insert().values(**row))
            await audit(session, actor, "evaluation_result.compute", "evaluation_result", row["id"], after=row)
        elif before["state"] == "computed":
            row = await guarded_update(session, results, before, ("evaluation result", "评价结果"), **values)
            await audit(session, actor, "evaluation_result.compute", "evaluation_result", row["id"], before=before, after=row)
        else:
            row = before
        out.append(row)
    await guarded_update(session, cycles, cycle, ("evaluation cycle", "评价周期"), last_check_on=today,
                         last_check_quarter=quarter)
    await audit(session, actor, "evaluation_cycle.progress_check", "evaluation_cycle", cycle["id"],
                after={"quarter": quarter, "on": today, "results": len(out)})
    return out


# ---- sampling audits -----------------------------------------------------------------------------------


async def served_enterprises(session: AsyncSession, cycle: dict[str, Any], provider_id: str) -> list[str]:
    start, end = _year_bounds(cycle["year"])
    rows = await session.execute(select(evaluation_facts.c.enterprise_id).distinct().where(
        evaluation_facts.c.type == PROJECT_COMPLETED, evaluation_facts.c.provider_id == provider_id,
        evaluation_facts.c.occurred_on >= start, evaluation_facts.c.occurred_on <= end,
        evaluation_facts.c.enterprise_id.is_not(None)))
    return sorted(str(r[0]) for r in rows)


async def draw_samples(session: AsyncSession, actor: Actor, cycle: dict[str, Any]) -> list[dict[str, Any]]:
    """Each provider's sample, drawn once per cycle from the published seed (a second call returns the same rows)."""
    require_open(cycle)
    model = (await load_model(session, cycle["model_version"])).model
    today = business_clock(session).today()
    for title in await evaluated_titles(session, cycle):
        provider = title["organisation_id"]
        population = await served_enterprises(session, cycle, provider)
        drawn = draw(cycle["seed"], population, model.parameters.sample_size)
        row = {"cycle_id": cycle["id"], "provider_id": provider, "seed": cycle["seed"], "size": len(drawn),
               "population": population, "drawn": drawn, "drawn_on": today, "drawn_by": actor.id}
        inserted = (await session.execute(pg_insert(samples).values(**row).on_conflict_do_nothing()
                                          .returning(samples.c.provider_id))).first()
        if inserted is None:
            continue
        await record_event(session, SAMPLE_DRAWN, SampleDrawn(
            cycle_id=cycle["id"], provider_id=provider, seed=cycle["seed"], population=len(population), size=len(drawn),
            enterprise_ids=drawn), subject=f"{cycle['id']}:{provider}")
        await audit(session, actor, "audit_sample.draw", "audit_sample", f"{cycle['id']}:{provider}", after=row)
    return await list_samples(session, cycle)


async def list_samples(session: AsyncSession, cycle: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await session.execute(select(samples).where(samples.c.cycle_id == cycle["id"]).order_by(samples.c.provider_id))
    return [dict(r) for r in rows.mappings()]


# ---- closing ----------------------------------------------------------------------------------------------


async def close_cycle(session: AsyncSession, actor: Actor, cycle: dict[str, Any]) -> dict[str, Any]:
    """Close once every result is issued; a traction unit's tier is published then (funding pays it, S2 四 2)."""
    state = cycle_rules.transition(cycle["state"], "close")
    rows = [dict(r) for r in (await session.execute(
        select(results).where(results.c.cycle_id == cycle["id"]).order_by(results.c.provider_id))).mappings()]
    pending = [r["provider_id"] for r in rows if r["state"] != "issued"]
    if not rows or pending:
        raise conflict("results_pending", "尚有评价结果未发布（或尚未计算）", "results are not all issued yet",
                       pending=pending)
    today = business_clock(session).today()
    loaded: LoadedModel = await load_model(session, cycle["model_version"])
    after = await guarded_update(session, cycles, cycle, ("evaluation cycle", "评价周期"), state=state, closed_on=today)
    supported = [r["provider_id"] for r in rows if r["support"]]
    await record_event(session, CYCLE_CLOSED, CycleClosed(
        cycle_id=cycle["id"], kind=cycle["kind"], year=cycle["year"], closed_on=today, results=len(rows),
        supported=supported), subject=cycle["id"], aggregate_version=after["version"])
    if cycle["kind"] == "traction_unit":
        for r in rows:
            if r["tier"] is None or r["grade"] == "不合格":
                continue
            await record_event(session, TIER_ASSIGNED, TierAssigned(
                provider_id=r["provider_id"], provider_uscc=r["provider_uscc"], title_id=r["title_id"],
                title_number=r["title_number"], cycle_id=cycle["id"], year=cycle["year"], tier=r["tier"],
                model_version=loaded.version), subject=r["id"])
    await audit(session, actor, "evaluation_cycle.close", "evaluation_cycle", cycle["id"], before=cycle, after=after)
    return after


async def ranking(session: AsyncSession, cycle_id: str, *, public: bool = False) -> dict[str, Any]:
    """Providers of a closed cycle ranked by adjusted uplift (highest first) with n and the interval; those with fewer
    enterprises than the model's minimum are listed apart, unranked. ``public``: only key platforms' cycles are
    published (handbook §6); any other cycle is not found, so the public learns nothing of traction units' cycles."""
    cycle = await get_cycle(session, cycle_id)
    if cycle["state"] != "closed" or (public and cycle["kind"] != "key_platform"):
        raise not_found("closed evaluation cycle", cycle_id)
    model = (await load_model(session, cycle["model_version"])).model
    minimum = model.parameters.min_enterprises_for_uplift
    names = {r.organisation_id: r.name for r in await session.execute(select(known_organisations.c.organisation_id,
                                                                               known_organisations.c.name))}
    ranked: list[dict[str, Any]] = []
    apart: list[dict[str, Any]] = []
    for r in (await session.execute(select(results).where(results.c.cycle_id == cycle_id))).mappings():
        adj = next((v for v in r["trace"]["indicators"] if v["indicator_id"] == "adjusted_uplift"), None)
        entry = {"provider_id": r["provider_id"], "name": names.get(r["provider_id"]), "title_number": r["title_number"],
                 "grade": r["grade"], "adjusted_uplift": adj["value"] if adj else None, "n": (adj or {}).get("n") or 0,
                 "interval": adj["interval"] if adj else None}
        (ranked if adj and adj["value"] is not None and entry["n"] >= minimum else apart).append(entry)
    ranked.sort(key=lambda e: (-Decimal(e["adjusted_uplift"]), e["provider_id"]))
    for place, entry in enumerate(ranked, start=1):
        entry["rank"] = place
    return {"cycle_id": cycle_id, "kind": cycle["kind"], "year": cycle["year"], "min_enterprises": minimum,
            "ranked": ranked, "too_few_enterprises": sorted(apart, key=lambda e: e["provider_id"])}


def refusal_for_kind(kind: str) -> DomainError:
    return invalid("body.kind", "评价对象应为重点平台或牵引单位", f"unknown kind {kind}")
