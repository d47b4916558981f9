"""Policy versions as stored data: the shipped files registered on first use, officials' uploads, and the version
in force on an application's date. A version id names one content for ever, so decisions keep the one they used.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import SYSTEM, audit
from sihua_shared.auth import Actor
from sihua_shared.contracts.funding import POLICY_VERSION_ACTIVATED, PolicyVersionActivated
from sihua_shared.errors import DomainError, Problem, conflict, invalid_all, not_found
from sihua_shared.outbox import record_event

from ..adapters.funding_tables import policy_versions
from ..domain.policies import PolicyInvalid, PolicyVersion, in_force, load_policy_text, shipped_texts, status_on

_LOADED: dict[str, PolicyVersion] = {}
_ensured: set[str] = set()


def _key(session: AsyncSession) -> str:
    return str(session.get_bind().engine.url)


def parsed(version_id: str, text: str) -> PolicyVersion:
    """The loaded version (cached: a version id names one content for ever)."""
    version = _LOADED.get(version_id)
    if version is None:
        version = load_policy_text(text)
        _LOADED[version_id] = version
    return version


def policy_problem(error: PolicyInvalid) -> DomainError:
    return invalid_all("policy_invalid", "资金政策文件不合规", "the policy file is not valid",
                       [Problem(f"body.yaml_text.{path}", "policy.invalid", message, message) for path, message in error.problems])


async def _store(session: AsyncSession, version: PolicyVersion, by: str, *, shipped: bool) -> bool:
    """Insert a version (nothing when the same content is stored); publish its activation when new."""
    doc = version.document
    seq = (await session.execute(select(func.coalesce(func.max(policy_versions.c.seq), 0) + 1))).scalar_one()
    inserted = await session.execute(
        pg_insert(policy_versions).values(
            version_id=version.version_id, seq=seq, policy_id=doc.policy_id, jurisdiction=doc.jurisdiction,
            content_hash=version.content_hash, title=doc.title, status=doc.status, valid_from=doc.valid_from,
            valid_until=doc.valid_until, effective_from=doc.starts, yaml_text=version.text, shipped=shipped, uploaded_by=by,
        ).on_conflict_do_nothing().returning(policy_versions.c.seq)
    )
    stored = inserted.scalar_one_or_none()
    if stored is None:
        return False
    payload = PolicyVersionActivated(
        policy_id=doc.policy_id, version_id=version.version_id, content_hash=version.content_hash,
        jurisdiction=doc.jurisdiction, title=doc.title, status=doc.status, valid_from=doc.valid_from,
        valid_until=doc.valid_until, effective_from=doc.starts, measures=[m.id for m in doc.measures],
        activated_by_account_id=by, shipped=shipped,
    )
    await record_event(session, POLICY_VERSION_ACTIVATED, payload, subject=doc.policy_id, aggregate_version=int(stored))
    _LOADED[version.version_id] = version
    return True


async def ensure_shipped(session: AsyncSession, jurisdiction: str) -> None:
    """Register the jurisdiction's shipped policy files the first time they are needed."""
    key = f"{_key(session)}#{jurisdiction}"
    if key in _ensured:
        return
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended("funding:shipped-policies", 0))))
    for text in shipped_texts(jurisdiction):
        await _store(session, load_policy_text(text), SYSTEM.id, shipped=True)
    event.listen(session.sync_session, "after_commit", lambda _: _ensured.add(key), once=True)


async def upload_version(session: AsyncSession, actor: Actor, text: str, jurisdiction: str) -> dict[str, Any]:
    """Validate and store an official's new version of a policy of this jurisdiction."""
    await ensure_shipped(session, jurisdiction)
    try:
        version = load_policy_text(text)
    except PolicyInvalid as error:
        raise policy_problem(error) from None
    if version.document.jurisdiction != jurisdiction:
        raise invalid_all("policy_invalid", "资金政策文件不属于本地区", "the policy belongs to another jurisdiction",
                          [Problem("body.yaml_text.jurisdiction", "policy.jurisdiction", f"本服务为 {jurisdiction}",
                                   f"this service serves {jurisdiction}")])
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended("funding:shipped-policies", 0))))
    if not await _store(session, version, actor.id, shipped=False):
        raise conflict("policy_version_exists", "该版本已存在", "this version is already stored", field="body.yaml_text",
                       version_id=version.version_id)
    row = await get_version_row(session, version.version_id)
    await audit(session, actor, "funding_policy.upload", "funding_policy_version", version.version_id,
                after={k: row[k] for k in ("version_id", "policy_id", "status", "effective_from", "content_hash")})
    return row


async def get_version_row(session: AsyncSession, version_id: str) -> dict[str, Any]:
    row = (await session.execute(select(policy_versions).where(policy_versions.c.version_id == version_id))).mappings().first()
    if row is None:
        raise not_found("funding policy version", version_id)
    return dict(row)


async def load_version(session: AsyncSession, version_id: str) -> PolicyVersion:
    """The version (a version id names one content for ever: a loaded one is not read again)."""
    cached = _LOADED.get(version_id)
    if cached is not None:
        return cached
    row = await get_version_row(session, version_id)
    return parsed(row["version_id"], row["yaml_text"])


async def list_versions(session: AsyncSession, jurisdiction: str, *, policy_id: str | None, limit: int, offset: int,
                        on: date) -> tuple[list[dict[str, Any]], int]:
    await ensure_shipped(session, jurisdiction)
    query = select(policy_versions).where(policy_versions.c.jurisdiction == jurisdiction)
    if policy_id:
        query = query.where(policy_versions.c.policy_id == policy_id)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await session.execute(query.order_by(policy_versions.c.seq).limit(limit).offset(offset))).mappings().all()
    current = await versions_in_force(session, jurisdiction, on)
    return [describe(dict(r), on, current) for r in rows], int(total)


async def versions_in_force(session: AsyncSession, jurisdiction: str, on: date) -> dict[str, PolicyVersion]:
    """Each policy's version in force on ``on``."""
    await ensure_shipped(session, jurisdiction)
    rows = (await session.execute(select(policy_versions).where(policy_versions.c.jurisdiction == jurisdiction))).mappings().all()
    pairs = [(parsed(r["version_id"], r["yaml_text"]), int(r["seq"])) for r in rows]
    out: dict[str, PolicyVersion] = {}
    for policy_id in {v.policy_id for v, _ in pairs}:
        chosen = in_force(pairs, policy_id, on)
        if chosen is not None:
            out[policy_id] = chosen
    return out


def describe(row: dict[str, Any], on: date, current: dict[str, PolicyVersion]) -> dict[str, Any]:
    version = parsed(row["version_id"], row["yaml_text"])
    doc = version.document
    out = {k: row[k] for k in ("version_id", "policy_id", "jurisdiction", "content_hash", "title", "status", "valid_from",
                               "valid_until", "effective_from", "shipped", "uploaded_by", "uploaded_at")}
    out |= {"doc_no": doc.doc_no, "source": doc.source, "status_today": status_on(doc, on),
            "in_force_today": current.get(doc.policy_id) is not None and current[doc.policy_id].version_id == version.version_id,
            "tax_basis": doc.tax_basis.model_dump(mode="json"),
            "measures": [measure_view(m) for m in doc.measures],
            "readings": [r.model_dump(mode="json") for r in doc.readings]}
    return out


def measure_view(m: Any) -> dict[str, Any]:
    return {"id": m.id, "clause": m.clause, "name": m.name, "method": m.method, "computable": m.computable,
            "applicants": list(m.applicants), "award_group": m.group,
            "parameters": m.model_dump(mode="json", exclude={"id", "clause", "name", "method", "applicants", "award_group"})}


async def get_version(session: AsyncSession, jurisdiction: str, version_id: str, on: date) -> dict[str, Any]:
    await ensure_shipped(session, jurisdiction)
    row = await get_version_row(session, version_id)
    if row["jurisdiction"] != jurisdiction:
        raise not_found("funding policy version", version_id)
    return describe(row, on, await versions_in_force(session, jurisdiction, on))
