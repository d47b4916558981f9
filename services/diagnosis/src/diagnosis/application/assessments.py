"""Use cases on assessments: start, save answers (drafts), submit (score synchronously), list and read.

They take a session and never commit; the route owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.errors import DomainError, Problem, forbidden, invalid, invalid_all, not_found, stale_version

from ..adapters.assessment_tables import assessments
from ..domain import access as policy
from ..domain.answers import check_answers
from ..domain.assessments import (
    onsite_filler_allowed,
    self_filler_allowed,
    transition,
)
from .access import (
    assessment_resource,
    ensure,
    has_consent,
    is_assigned_provider,
    organisation,
    visibility,
    visible_assessments,
)
from .edition_cache import EDITIONS
from .editions import resolve_edition

EMPTY_ANSWERS: dict[str, Any] = {"answers": {}, "scenes": {}}
_PATCH_KEYS = ("profile", "answers", "scenes")


async def authorise_filler(session: AsyncSession, actor: Actor, enterprise_id: str, kind: str) -> str | None:
    """The organisation filling on the enterprise's behalf (None: the enterprise itself); 403 when not allowed."""
    own = policy.assesses_itself(actor, enterprise_id)
    if kind == "self" and own:
        return None
    if not policy.may_fill_for_others(actor) or actor.org is None:
        raise forbidden("现场评定须由第三方机构或派单的诊断服务商的评估人员进行" if kind == "onsite" else "只能为本企业开展评测",
                        "an on-site assessment needs an assessor" if kind == "onsite" else "an enterprise assesses itself only")
    consented = await has_consent(session, enterprise_id, actor.org)
    if kind == "self":
        if not self_filler_allowed(own_enterprise=False, consented=consented):
            raise forbidden("企业未授权本机构代为评测", "the enterprise has not consented to this organisation filling in for it")
        return actor.org
    own_org = await organisation(session, actor.org)
    third_party = policy.third_party_assessor(actor, own_org["kind"] if own_org else None)
    assigned = policy.assigned_provider_assessor(actor) and await is_assigned_provider(session, enterprise_id, actor.org)
    if not onsite_filler_allowed(third_party=third_party, consented=consented, assigned_provider=assigned):
        raise forbidden(
            "现场评定须由企业授权的第三方机构，或派单给该企业的诊断服务商进行",
            "on-site assessment is for a third-party organisation the enterprise consented to, or its assigned diagnosis provider",
        )
    return actor.org


async def check_filler_standing(session: AsyncSession, actor: Actor, row: Mapping[str, Any]) -> None:
    """Changing a draft filled on the enterprise's behalf: the consent or assignment must still stand (403 otherwise)."""
    if row["filled_by_org"]:
        await authorise_filler(session, actor, row["enterprise_id"], row["kind"])


async def start_assessment(
    session: AsyncSession, actor: Actor, *, enterprise_id: str | None, kind: str, stage: str, edition_id: str | None
) -> dict[str, Any]:
    target = enterprise_id or policy.own_enterprise(actor)
    if not target:
        raise invalid("body.enterprise_id", "请指定企业", "name the enterprise assessed", "enterprise_required")
    enterprise = await organisation(session, target)
    if enterprise is None or enterprise["kind"] != "enterprise":
        raise invalid("body.enterprise_id", "未找到该企业（需先在登记系统登记）", "unknown enterprise", "unknown_enterprise")
    filler = await authorise_filler(session, actor, target, kind)
    edition = await resolve_edition(session, edition_id)
    row = {
        "id": str(uuid.uuid4()), "enterprise_id": target, "uscc": enterprise["uscc"], "district": enterprise["district"],
        "sector": enterprise["sector"], "kind": kind, "stage": stage, "state": "draft", "edition_id": edition.id,
        "edition_version": edition.version_id, "answers": EMPTY_ANSWERS, "filled_by_org": filler, "created_by": actor.id,
    }
    await session.execute(assessments.insert().values(**row))
    await audit(session, actor, "assessment.start", "assessment", row["id"], after=row)
    return await load_assessment(session, actor, row["id"])


async def load_assessment(
    session: AsyncSession, actor: Actor, assessment_id: str, *, for_update: bool = False
) -> dict[str, Any]:
    query = visible_assessments(actor).where(assessments.c.id == assessment_id)
    if for_update:
        query = query.with_for_update(of=assessments)
    row = (await session.execute(query)).mappings().first()
    if row is None:
        raise not_found("assessment", assessment_id)
    return dict(row)


async def fillable_assessment(
    session: AsyncSession, actor: Actor, assessment_id: str, refusal: DomainError | None = None
) -> dict[str, Any]:
    """A visible assessment the actor may fill (answers, evidence, submission); 403 (``refusal``) otherwise.

    The row is locked for the transaction: an evidence upload and a submission of the same assessment run one
    after the other, so the second sees the state the first left (no evidence attaches after a submission)."""
    row = await load_assessment(session, actor, assessment_id, for_update=True)
    ensure(policy.assessment_fillers(actor), assessment_resource(row), refusal or forbidden(
        "只有填报该评测的单位可以修改或提交", "only the organisation filling this assessment may change or submit it"))
    return row


async def list_assessments(
    session: AsyncSession, actor: Actor, *, filters: Mapping[str, Any], limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    query = select(assessments).where(visibility(actor))
    for name, value in filters.items():
        if value is not None:
            query = query.where(assessments.c[name] == value)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await session.execute(query.order_by(assessments.c.created_at.desc(), assessments.c.id).limit(limit).offset(offset))
    return [dict(r) for r in rows.mappings()], int(total)


def merge_answers(current: Mapping[str, Any], patch: Mapping[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Apply a partial save: entries given replace the stored ones, ``null`` removes one."""
    problems = [Problem(str(k), "payload.malformed", f"不允许的字段 {k}", f"unknown field {k}") for k in patch if k not in _PATCH_KEYS]
    merged: dict[str, Any] = {"answers": dict(current.get("answers", {})), "scenes": dict(current.get("scenes", {}))}
    if "profile" in current:
        merged["profile"] = current["profile"]
    if "profile" in patch:
        if patch["profile"] is None:
            merged.pop("profile", None)
        else:
            merged["profile"] = patch["profile"]
    for part in ("answers", "scenes"):
        given = patch.get(part, {})
        if not isinstance(given, Mapping):
            problems.append(Problem(part, "payload.malformed", f"{part} 应为对象", f"{part} must be an object"))
            continue
        for key, value in given.items():
            if value is None:
                merged[part].pop(str(key), None)
            else:
                merged[part][str(key)] = value
    return merged, problems


async def save_answers(session: AsyncSession, actor: Actor, row: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Check the merged draft against the pinned edition; any problem → 422 naming the items, nothing saved."""
    transition(row["state"], "save_answers")
    await check_filler_standing(session, actor, row)
    merged, problems = merge_answers(row["answers"], patch)
    edition = await EDITIONS.get(session, row["edition_version"])
    if not problems:
        problems = check_answers(edition, merged, complete=False)[1]
    if problems:
        raise invalid_all("answers_invalid", f"答案有 {len(problems)} 处问题，未保存",
                          f"{len(problems)} answer problem(s); nothing was saved",
                          [p.at("body") for p in problems])
    saved = await update_guarded(session, row, answers=merged)
    await audit(session, actor, "assessment.save_answers", "assessment", row["id"],
                before={"answers": row["answers"], "version": row["version"]},
                after={"answers": merged, "version": saved["version"]})
    return saved


async def update_guarded(session: AsyncSession, row: Mapping[str, Any], **values: Any) -> dict[str, Any]:
    """Update guarded by the version the caller read (a concurrent change answers 412); the row after it."""
    # Only the columns the database sets come back: the JSON ones are known already and need no decoding again.
    changed = [assessments.c[name] for name in ("version", "updated_at", *values) if not isinstance(values.get(name), dict)]
    updated = (
        await session.execute(
            update(assessments)
            .where(assessments.c.id == row["id"], assessments.c.version == row["version"])
            .values(**values, version=assessments.c.version + 1, updated_at=func.now())
            .returning(*changed)
        )
    ).mappings().first()
    if updated is None:
        raise stale_version("assessment", "评测")
    return {**row, **values, **updated}


def progress(edition_items: list[str], scene_ids: list[str], answers: Mapping[str, Any]) -> dict[str, Any]:
    """What is still missing before submission (items and scenes not answered yet)."""
    given = answers.get("answers", {})
    scenes = answers.get("scenes", {})
    items_missing = [i for i in edition_items if i not in given]
    scenes_missing = [s for s in scene_ids if s not in scenes]
    return {
        "items_answered": len(edition_items) - len(items_missing), "items_total": len(edition_items),
        "scenes_answered": len(scene_ids) - len(scenes_missing), "scenes_total": len(scene_ids),
        "items_missing": items_missing, "scenes_missing": scenes_missing,
        "complete": not items_missing and not scenes_missing,
    }


async def assessment_progress(session: AsyncSession, row: Mapping[str, Any]) -> dict[str, Any]:
    edition = await EDITIONS.get(session, row["edition_version"])
    return progress(list(edition.items), list(edition.scene_ids), row["answers"])
