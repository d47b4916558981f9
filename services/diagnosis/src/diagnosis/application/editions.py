"""Use cases on editions of the index: the shipped one registered on first use, uploads, activation.

Rules: a version is its content (same YAML → same version id); an edition id with a used version is
frozen, so a corrected edition needs a new id; a version in use, shipped, active or pinned by an
assessment cannot be deleted.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

import yaml
from sqlalchemy import delete, event, exists, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import SYSTEM, audit
from sihua_shared.auth import Actor
from sihua_shared.contracts.diagnosis import EDITION_ACTIVATED, EditionActivated, EditionScene
from sihua_shared.errors import Problem, conflict, invalid, not_found
from sihua_shared.inputs import MAX_JSON_DEPTH, json_problems
from sihua_shared.outbox import record_event

from ..adapters.assessment_tables import assessments
from ..adapters.edition_tables import active_editions, editions
from ..domain.index import Edition, load_edition_text
from ..domain.problems import EditionInvalid
from .edition_cache import EDITIONS, database_key, shipped_edition, shipped_text

_ensured: set[str] = set()


def _summary(edition: Edition) -> dict[str, Any]:
    return {
        "items": len(edition.items),
        "scenes": len(edition.scene_ids),
        "levels": edition.top_level,
        "level_mode": edition.rules.mode,
        "provenance": edition.provenance(),
    }


async def _publish_activation(session: AsyncSession, edition: Edition, by: str, version: int, *, shipped: bool) -> None:
    """Record ``edition activated`` with the version's scenes, in the activation's transaction."""
    group_of = {scene: g.id for g in edition.document.scene_groups for scene in g.scenes}
    payload = EditionActivated(
        edition_id=edition.id, version_id=edition.version_id, content_hash=edition.content_hash,
        title=edition.document.title, activated_by_account_id=by, shipped=shipped,
        scenes=[EditionScene(scene_id=s.id, name=s.name, name_en=s.name_en, constrained=s.constrained,
                             group_id=group_of.get(s.id)) for s in edition.document.scenes],
    )
    await record_event(session, EDITION_ACTIVATED, payload, subject=edition.id, aggregate_version=version)


async def ensure_shipped_edition(session: AsyncSession) -> None:
    """Register the shipped 2024 edition, and make it active for its id, the first time it is needed."""
    key = database_key(session)
    if key in _ensured:
        return
    edition = shipped_edition()
    await session.execute(
        pg_insert(editions)
        .values(version_id=edition.version_id, edition_id=edition.id, content_hash=edition.content_hash,
                title=edition.document.title, yaml_text=shipped_text(), shipped=True, uploaded_by=SYSTEM.id)
        .on_conflict_do_nothing()
    )
    activated = await session.execute(
        pg_insert(active_editions)
        .values(edition_id=edition.id, version_id=edition.version_id, activated_by=SYSTEM.id)
        .on_conflict_do_nothing()
        .returning(active_editions.c.version)
    )
    version = activated.scalar_one_or_none()
    if version is not None:  # the first activation of the shipped edition is a fact like any other
        await _publish_activation(session, edition, SYSTEM.id, version, shipped=True)
    EDITIONS.remember(edition)
    # Remembered once this transaction commits; if it rolls back, the next one repeats the inserts.
    event.listen(session.sync_session, "after_commit", lambda _: _ensured.add(key), once=True)


def _row_out(row: Any, active: str | None) -> dict[str, Any]:
    out = {k: row[k] for k in ("version_id", "edition_id", "content_hash", "title", "shipped", "used", "uploaded_by", "uploaded_at")}
    out["active"] = active == row["version_id"]
    return out


MAX_NODES = 100_000
"""An edition has a few thousand nodes; YAML aliases could make a small file expand into billions."""


def _expands_too_far(tree: Any) -> bool:
    stack: list[Any] = [tree]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def check_storable(text: str) -> None:
    """Refuse, before the edition is checked, a file the database could not store or a browser read back: one that
    YAML aliases expand beyond ``MAX_NODES``, or whose values include a NUL or a lone surrogate (YAML escapes can
    spell both), ``.nan``, ``.inf`` or an integer beyond 2^53, each named by its path."""
    try:
        tree = yaml.safe_load(text)
    except yaml.YAMLError:
        return  # the loader reports it with its position
    if _expands_too_far(tree):
        raise invalid("body", f"文件展开后超过 {MAX_NODES} 个节点", f"the file expands to more than {MAX_NODES} nodes", "edition_too_large")
    unusable = [Problem(p.field.removeprefix("$.") or "$", f"edition.{p.kind}", p.message_zh, p.message_en)
                for p in islice(json_problems(tree, "$", max_depth=MAX_JSON_DEPTH), 20)]
    if unusable:
        raise EditionInvalid(unusable).at("body")


async def upload_edition(session: AsyncSession, actor: Actor, text: str) -> tuple[dict[str, Any], bool]:
    """Check and store an uploaded edition; ``(edition, created)`` — the same content answers the stored one."""
    await ensure_shipped_edition(session)
    check_storable(text)
    try:
        edition = load_edition_text(text)
    except EditionInvalid as exc:
        raise exc.at("body") from exc
    found = await _get_row(session, edition.version_id)
    if found is not None:
        return found, False
    frozen = (
        await session.execute(
            select(editions.c.version_id).where(editions.c.edition_id == edition.id, editions.c.used.is_(True)).limit(1)
        )
    ).scalar_one_or_none()
    if frozen is not None:
        raise conflict(
            "edition_immutable",
            f"版本 {edition.id} 已被评测使用，不可修改；修订后的指标请使用新的版本标识（id）",
            f"edition {edition.id} has been used by assessments and is frozen; give the corrected edition a new id",
            field="body.id", used_version=frozen,
        )
    values = {"version_id": edition.version_id, "edition_id": edition.id, "content_hash": edition.content_hash,
              "title": edition.document.title, "yaml_text": text, "shipped": False, "uploaded_by": actor.id}
    await session.execute(editions.insert().values(**values))
    EDITIONS.remember(edition)
    await audit(session, actor, "edition.upload", "edition", edition.version_id,
                after={k: v for k, v in values.items() if k != "yaml_text"})
    row = await _get_row(session, edition.version_id)
    assert row is not None
    return row, True


async def _active_of(session: AsyncSession, edition_id: str) -> str | None:
    return (
        await session.execute(select(active_editions.c.version_id).where(active_editions.c.edition_id == edition_id))
    ).scalar_one_or_none()


async def _get_row(session: AsyncSession, version_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(editions).where(editions.c.version_id == version_id))).mappings().first()
    if row is None:
        return None
    return _row_out(row, await _active_of(session, row["edition_id"]))


async def get_edition(session: AsyncSession, version_id: str) -> dict[str, Any]:
    await ensure_shipped_edition(session)
    row = await _get_row(session, version_id)
    if row is None:
        raise not_found("edition", version_id)
    return {**row, "summary": _summary(await EDITIONS.get(session, version_id))}


async def edition_text(session: AsyncSession, version_id: str) -> str:
    await ensure_shipped_edition(session)
    text = (await session.execute(select(editions.c.yaml_text).where(editions.c.version_id == version_id))).scalar_one_or_none()
    if text is None:
        raise not_found("edition", version_id)
    return str(text)


async def list_editions(
    session: AsyncSession, *, edition_id: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    await ensure_shipped_edition(session)
    query = select(editions, active_editions.c.version_id.label("active_version")).outerjoin(
        active_editions, active_editions.c.edition_id == editions.c.edition_id
    )
    if edition_id:
        query = query.where(editions.c.edition_id == edition_id)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (
        await session.execute(query.order_by(editions.c.edition_id, editions.c.uploaded_at.desc()).limit(limit).offset(offset))
    ).mappings().all()
    return [_row_out(r, r["active_version"]) for r in rows], int(total)


async def activate_edition(session: AsyncSession, actor: Actor, version_id: str) -> dict[str, Any]:
    """Pin new assessments of the version's edition id to this version."""
    await ensure_shipped_edition(session)
    row = await _get_row(session, version_id)
    if row is None:
        raise not_found("edition", version_id)
    before = await _active_of(session, row["edition_id"])
    statement = pg_insert(active_editions).values(edition_id=row["edition_id"], version_id=version_id, activated_by=actor.id)
    version = (await session.execute(statement.on_conflict_do_update(
        index_elements=["edition_id"],
        set_={"version_id": version_id, "activated_by": actor.id, "activated_at": func.now(),
              "version": active_editions.c.version + 1},
    ).returning(active_editions.c.version))).scalar_one()
    await _publish_activation(session, await EDITIONS.get(session, version_id), actor.id, version, shipped=row["shipped"])
    await audit(session, actor, "edition.activate", "edition", row["edition_id"],
                before={"active_version": before}, after={"active_version": version_id})
    return {**row, "active": True}


async def delete_edition(session: AsyncSession, actor: Actor, version_id: str) -> None:
    row = await _get_row(session, version_id)
    if row is None:
        raise not_found("edition", version_id)
    pinned = (await session.execute(select(exists().where(assessments.c.edition_version == version_id)))).scalar_one()
    if row["shipped"] or row["used"] or row["active"] or pinned:
        raise conflict("edition_in_use", "该版本已发布、启用或被评测使用，不可删除",
                       "a shipped, active or used edition (or one pinned by an assessment) cannot be deleted")
    await session.execute(delete(editions).where(editions.c.version_id == version_id))
    await audit(session, actor, "edition.delete", "edition", version_id, before=row | {"uploaded_at": str(row["uploaded_at"])})


async def resolve_edition(session: AsyncSession, edition_id: str | None) -> Edition:
    """The active version of ``edition_id`` (default: the shipped edition's id) for a new assessment."""
    await ensure_shipped_edition(session)
    wanted = edition_id or shipped_edition().id
    version = await _active_of(session, wanted)
    if version is None:
        raise invalid("body.edition_id", f"没有已启用的指标版本 {wanted}", f"no active edition {wanted}", "unknown_edition")
    return await EDITIONS.get(session, version)
