"""Admission review (入库审核, S2 五(三)) of a product version: the provider submits; a city officer starts and
passes the formal check (the panel is drawn from the expert pool then, conflict-aware), the assigned experts score
against the rubric, and a city officer admits (the scores must be complete and pass), returns for revision or
rejects, with reasons at each step. Admission gives the catalogue number (first version), supersedes the version
in force (change requests) and lists the product."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit, jsonable
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.contracts import catalog as facts
from sihua_shared.errors import DomainError, Kind, conflict, forbidden
from sihua_shared.outbox import record_event
from sihua_shared.panel import (
    ApplicationRef,
    ConflictGraph,
    Expert,
    Panel,
    Relationship,
    RelationshipKind,
    assign_panel,
    panel_seed,
)

from ..adapters.readmodels import expert_pool, relationships
from ..adapters.tables import catalogue_counters, panel_members, product_versions, products
from ..domain import access as policy
from ..domain.product import REVIEW, Listing, Review, Step, catalogue_number, check_content
from ..domain.review import aggregate, load_rubric
from .access import ensure, product_resource
from .products import _panel, _touch, get_product, get_version, provider_of
from .showcase import edition_in_force, reindex
from .standing import marks_of

STAGES: dict[str, Literal["formal_check", "expert_review"]] = {Review.FORMAL_CHECK: "formal_check",
                                                               Review.EXPERT_REVIEW: "expert_review"}


async def take_step(session: AsyncSession, actor: Actor, product_id: str, action: str, reasons: list[str]) -> dict[str, Any]:
    product = await get_product(session, actor, product_id, lock=True)
    panel = await _panel(session, product_id)
    ensure(policy.review_step(actor, action), product_resource(product, panel),
           forbidden("无权执行该审核步骤", "you may not take this review step", code="step_not_permitted"))
    version = await get_version(session, product_id, product["latest_version"])
    before = Review(version["state"])
    after = REVIEW.step(before, action, reasons=reasons)
    now = business_clock(session).now()
    number = version["number"]
    values: dict[str, Any] = {"state": after}
    if action == Step.SUBMIT:
        await _submission(session, actor, product, version)
        values["submitted_at"] = now
    elif action == Step.PASS_FORMAL_CHECK:
        values |= await _draw_panel(session, product, number)
    elif action == Step.ADMIT:
        values |= await _admission(session, product, version, now)
    elif action in (Step.RETURN, Step.REJECT):
        values["decided_at"] = now if action == Step.REJECT else None
        spec, payload = (facts.PRODUCT_RETURNED, facts.ProductReturned) if action == Step.RETURN else \
            (facts.PRODUCT_REJECTED, facts.ProductRejected)
        await record_event(session, spec, payload(  # type: ignore[operator]
            product_id=product_id, version=number, organisation_id=product["organisation_id"], stage=STAGES[before],
            reasons=reasons), subject=product_id)
        if action == Step.RETURN:
            await session.execute(panel_members.delete().where(panel_members.c.product_id == product_id,
                                                               panel_members.c.version_number == number))
    entry = {"action": str(action), "from": str(before), "to": str(after), "reasons": reasons, "by": actor.id,
             "at": now.isoformat()}
    values["history"] = [*version["history"], entry]
    await session.execute(update(product_versions).where(
        product_versions.c.product_id == product_id, product_versions.c.number == number).values(**values))
    await _touch(session, product_id)
    await audit(session, actor, f"product.{action}", "product", product_id,
                before={"version": number, "state": before}, after={"version": number, "state": after, "reasons": reasons})
    if action == Step.ADMIT:
        await reindex(session, product_id)
    return await get_product(session, actor, product_id)


async def _submission(session: AsyncSession, actor: Actor, product: dict[str, Any], version: dict[str, Any]) -> None:
    await provider_of(session, actor)
    edition = await edition_in_force(session)
    check_content(version["content"], {s["scene_id"]: s["name"] for s in edition["scenes"]} if edition else {})
    await record_event(session, facts.PRODUCT_SUBMITTED, facts.ProductSubmitted(
        product_id=product["id"], version=version["number"], organisation_id=product["organisation_id"],
        name=version["content"]["name"], change_request=product["admitted_version"] is not None), subject=product["id"])


SEED_BITS = (1 << 63) - 1  # the recorded seed fits a BIGINT column


async def _pool(session: AsyncSession) -> list[Expert]:
    rows = await session.execute(select(expert_pool).where(expert_pool.c.active.is_(True),
                                                           expert_pool.c.display_name.is_not(None)))
    return [Expert(r.expert_account_id, r.organisation_id or "", frozenset(r.fields or ()),
                   frozenset(r.declared_conflicts or ()), bool(True if r.can_chair is None else r.can_chair)) for r in rows]


async def _graph(session: AsyncSession) -> ConflictGraph:
    rows = await session.execute(select(relationships.c.organisation_a_id, relationships.c.organisation_b_id,
                                        relationships.c.kind).where(relationships.c.withdrawn.is_(False)))
    return ConflictGraph([Relationship(a, b, RelationshipKind(kind or RelationshipKind.SHAREHOLDING)) for a, b, kind in rows.all()])


async def _draw(session: AsyncSession, product: dict[str, Any], number: int, declined: frozenset[str] = frozenset()) -> Panel:
    """The shared conflict-aware draw (``sihua_shared.panel``) over the catalog's read models of the expert pool and
    the declared relationships; the seed is derived from the product version (recorded with the panel), so a recusal
    redraws the same order without the declined experts: the others stay, the next eligible one joins."""
    ref = f"{product['id']}@{number}"
    seed = panel_seed(0, f"catalog:{ref}") & SEED_BITS
    return assign_panel(ApplicationRef(ref, product["organisation_id"]), await _pool(session), size=load_rubric().panel_size,
                        seed=seed, graph=await _graph(session), declined=declined)


async def _seat(session: AsyncSession, product_id: str, number: int, panel: Panel) -> None:
    """Make the panel's rows the drawn members (scores of those staying are kept)."""
    held = {r.expert_id for r in await session.execute(select(panel_members.c.expert_id).where(
        panel_members.c.product_id == product_id, panel_members.c.version_number == number))}
    where = (panel_members.c.product_id == product_id, panel_members.c.version_number == number)
    await session.execute(panel_members.delete().where(*where, panel_members.c.expert_id.notin_(panel.members)))
    for position, expert in enumerate(panel.members):
        values = {"chair": expert == panel.chair, "draw_position": position}
        if expert in held:
            await session.execute(update(panel_members).where(*where, panel_members.c.expert_id == expert).values(**values))
        else:
            await session.execute(panel_members.insert().values(product_id=product_id, version_number=number, expert_id=expert,
                                                                **values))


async def _draw_panel(session: AsyncSession, product: dict[str, Any], number: int) -> dict[str, Any]:
    panel = await _draw(session, product, number)
    await _seat(session, product["id"], number, panel)
    return {"panel_seed": panel.seed, "rubric": load_rubric().key}


async def recuse(session: AsyncSession, actor: Actor, product_id: str, reason: str) -> dict[str, Any]:
    """A panel member declares a conflict of interest (回避): replaced by the next eligible expert of the same draw."""
    product = await get_product(session, actor, product_id, lock=True)
    members = await _members(session, product)
    ensure(policy.scoring(actor), product_resource(product, members),
           forbidden("只有本评审组专家可以申请回避", "only an expert on this panel recuses", code="not_on_panel"))
    if product["state"] != Review.EXPERT_REVIEW:
        raise conflict("not_in_expert_review", "该产品不在专家评审阶段", "the product is not in expert review")
    version = await get_version(session, product_id, product["latest_version"])
    declined = frozenset({h["by"] for h in version["history"] if h["action"] == "recuse"} | {actor.id})
    panel = await _draw(session, product, version["number"], declined)
    await _seat(session, product_id, version["number"], panel)
    entry = {"action": "recuse", "from": version["state"], "to": version["state"], "reasons": [reason], "by": actor.id,
             "at": business_clock(session).now().isoformat()}
    await session.execute(update(product_versions).where(
        product_versions.c.product_id == product_id, product_versions.c.number == version["number"]).values(
        history=[*version["history"], entry]))
    await audit(session, actor, "product.recuse", "product", product_id, before={"panel": members},
                after={"panel": list(panel.members), "reason": reason})
    return {"product_id": product_id, "version": version["number"], "members": list(panel.members), "chair": panel.chair}


async def _next_catalogue_number(session: AsyncSession, year: int) -> str:
    statement = pg_insert(catalogue_counters).values(year=year, last=1)
    statement = statement.on_conflict_do_update(index_elements=[catalogue_counters.c.year],
                                                set_={"last": catalogue_counters.c.last + 1})
    last = (await session.execute(statement.returning(catalogue_counters.c.last))).scalar_one()
    return catalogue_number(year, int(last))


async def _admission(session: AsyncSession, product: dict[str, Any], version: dict[str, Any], now: datetime) -> dict[str, Any]:
    rubric = load_rubric()
    result = aggregate(rubric, await _scores(session, product["id"], version["number"]), await _members(session, product))
    if not result.passes:
        raise DomainError("score_below_pass", f"专家评审得分 {result.final_score} 低于入库分数线 {rubric.pass_score}",
                          f"the final score {result.final_score} is below the pass score {rubric.pass_score}",
                          field="scores", kind=Kind.CONFLICT, details={"final_score": str(result.final_score)})
    today = business_clock(session).today()
    number = version["number"]
    previous = product["admitted_version"]
    content = version["content"]
    marks = await marks_of(session, product["organisation_id"], today)
    catalogue = product["catalogue_number"] or await _next_catalogue_number(session, today.year)
    if previous is not None:
        await session.execute(update(product_versions).where(
            product_versions.c.product_id == product["id"], product_versions.c.number == previous).values(state=Review.SUPERSEDED))
    listing = product["listing"] if product["listing"] == Listing.SUSPENDED else Listing.LISTED
    await session.execute(update(products).where(products.c.id == product["id"]).values(
        admitted_version=number, catalogue_number=catalogue, marks=marks, listing=listing))
    packages = [facts.ProductPackage(**p) for p in content["packages"]]
    if previous is None:
        await record_event(session, facts.PRODUCT_ADMITTED, facts.ProductAdmitted(
            product_id=product["id"], version=number, catalogue_number=catalogue, organisation_id=product["organisation_id"],
            name=content["name"], product_type=content["product_type"], packages=packages, scenes=content["scenes"],
            sectors=content["sectors"], marks=cast(list[facts.Mark], marks), final_score=str(result.final_score), admitted_on=today),
            subject=product["id"])
    else:
        await record_event(session, facts.PRODUCT_CHANGED, facts.ProductChanged(
            product_id=product["id"], version=number, previous_version=previous, catalogue_number=catalogue,
            organisation_id=product["organisation_id"], name=content["name"], packages=packages, scenes=content["scenes"],
            sectors=content["sectors"], changed_on=today), subject=product["id"])
    return {"final_score": str(result.final_score), "decided_at": now}


async def _members(session: AsyncSession, product: dict[str, Any]) -> list[str]:
    rows = await session.execute(select(panel_members.c.expert_id).where(
        panel_members.c.product_id == product["id"], panel_members.c.version_number == product["latest_version"])
        .order_by(panel_members.c.draw_position))
    return list(rows.scalars())


async def _scores(session: AsyncSession, product_id: str, number: int) -> dict[str, dict[str, int]]:
    rows = await session.execute(select(panel_members.c.expert_id, panel_members.c.scores).where(
        panel_members.c.product_id == product_id, panel_members.c.version_number == number, panel_members.c.scores.is_not(None)))
    return {expert: dict(scores) for expert, scores in rows.all()}


async def score(session: AsyncSession, actor: Actor, product_id: str, scores: dict[str, int], comment: str) -> dict[str, Any]:
    """An assigned expert scores the version under expert review (again, until it is decided)."""
    product = await get_product(session, actor, product_id, lock=True)
    members = await _members(session, product)
    ensure(policy.scoring(actor), product_resource(product, members),
           forbidden("只有本评审组专家可以评分", "only an expert on this panel scores", code="not_on_panel"))
    if product["state"] != Review.EXPERT_REVIEW:
        raise conflict("not_in_expert_review", "该产品不在专家评审阶段", "the product is not in expert review")
    rubric = load_rubric()
    total = rubric.total(scores)
    await session.execute(update(panel_members).where(
        panel_members.c.product_id == product_id, panel_members.c.version_number == product["latest_version"],
        panel_members.c.expert_id == actor.id).values(
        scores=rubric.check(scores), total=str(total), comment=comment, scored_at=business_clock(session).now()))
    await audit(session, actor, "product.score", "product", product_id, after={"scores": scores, "total": total})
    return await panel_view(session, actor, product_id)


async def panel_view(session: AsyncSession, actor: Actor, product_id: str) -> dict[str, Any]:
    """The open version's panel: officials see every member's scores, an expert their own line."""
    product = await get_product(session, actor, product_id)
    rows = (await session.execute(select(panel_members).where(
        panel_members.c.product_id == product_id, panel_members.c.version_number == product["latest_version"])
        .order_by(panel_members.c.draw_position))).mappings().all()
    members = [dict(r) for r in rows]
    if not policy.sees_whole_panel(actor):
        if actor.id not in {m["expert_id"] for m in members}:
            raise forbidden("无权查看评审组", "you may not see this panel")
        members = [m for m in members if m["expert_id"] == actor.id]
    version = await get_version(session, product_id, product["latest_version"])
    result = None
    scores = await _scores(session, product_id, product["latest_version"])
    if members and policy.sees_whole_panel(actor) and len(scores) == len(rows):
        outcome = aggregate(load_rubric(), scores, [r["expert_id"] for r in rows])
        result = {"final_score": str(outcome.final_score), "spread": str(outcome.spread),
                  "needs_chair_review": outcome.needs_chair_review, "passes": outcome.passes, "dropped": list(outcome.dropped)}
    rubric = load_rubric()
    return jsonable({
        "product_id": product_id, "version": product["latest_version"], "state": version["state"], "seed": version["panel_seed"],
        "rubric": {"key": rubric.key, "pass_score": str(rubric.pass_score),
                   "criteria": [{"code": c.code, "name_zh": c.name_zh, "weight": c.weight, "max_points": c.max_points}
                                for c in rubric.criteria]},
        "members": [{"expert_id": m["expert_id"], "chair": m["chair"], "scores": m["scores"], "total": m["total"],
                     "comment": m["comment"], "scored_at": m["scored_at"]} for m in members],
        "result": result,
    })


