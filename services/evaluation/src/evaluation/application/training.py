"""Use cases on training (S2 三(八)): programmes organised by the third party or a provider, sessions with attendance
by person, counted in person-times towards the 2,000 target."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import audit
from sihua_shared.auth import Actor
from sihua_shared.contracts.evaluation import TRAINING_RECORDED, TrainingRecorded
from sihua_shared.errors import forbidden, invalid, not_found
from sihua_shared.outbox import record_event

from ..adapters.eval_tables import training_attendance, training_programmes, training_sessions
from ..domain import access as policy
from ..domain.access import ORGANISER
from .common import ensure

TARGET_PERSON_TIMES = 2000  # S2 二


async def create_programme(session: AsyncSession, actor: Actor, title: str) -> dict[str, Any]:
    if actor.org is None:
        raise forbidden("需以机构账号创建培训项目", "an organisation's account organises training")
    row = {"id": str(uuid.uuid4()), "title": title, "organiser_id": actor.org,
           "organiser_kind": "third_party" if actor.has("third_party") else "provider", "created_by": actor.id}
    await session.execute(training_programmes.insert().values(**row))
    await audit(session, actor, "training_programme.create", "training_programme", row["id"], after=row)
    return row


async def get_programme(session: AsyncSession, actor: Actor, programme_id: str) -> dict[str, Any]:
    row = (await session.execute(select(training_programmes).where(training_programmes.c.id == programme_id))).mappings().first()
    if row is None or not policy.training(actor).admits({ORGANISER: row["organiser_id"]}):
        raise not_found("training programme", programme_id)
    sessions = [dict(r) for r in (await session.execute(select(training_sessions).where(
        training_sessions.c.programme_id == programme_id).order_by(training_sessions.c.held_on))).mappings()]
    return {**dict(row), "sessions": sessions}


async def record_session(session: AsyncSession, actor: Actor, programme: dict[str, Any], *, held_on: Any, topic: str,
                         district: str | None, sector: str | None, attendees: list[dict[str, Any]]) -> dict[str, Any]:
    ensure(policy.organisers(actor), {ORGANISER: programme["organiser_id"]},
           forbidden("只有培训组织单位可以登记", "only the organiser records its sessions"))
    keys = [a["person_key"] for a in attendees]
    if len(set(keys)) != len(keys):
        raise invalid("body.attendees", "同一人在一场培训中只计一次", "a person attends a session once")
    row = {"id": str(uuid.uuid4()), "programme_id": programme["id"], "held_on": held_on, "topic": topic,
           "district": district, "sector": sector, "person_times": len(attendees), "recorded_by": actor.id}
    await session.execute(training_sessions.insert().values(**row))
    if attendees:
        await session.execute(training_attendance.insert(), [{"session_id": row["id"], **a} for a in attendees])
    await record_event(session, TRAINING_RECORDED, TrainingRecorded(
        session_id=row["id"], programme_id=programme["id"], organiser_id=programme["organiser_id"], held_on=held_on,
        person_times=len(attendees), district=district, sector=sector), subject=row["id"])
    await audit(session, actor, "training_session.record", "training_session", row["id"], after=row | {"attendees": attendees})
    return row


async def summary(session: AsyncSession, *, district: str | None = None) -> dict[str, Any]:
    """Person-times (one per person per session) in all, by district and by sector, against the target."""
    query = select(training_sessions.c.district, training_sessions.c.sector,
                   func.coalesce(func.sum(training_sessions.c.person_times), 0).label("n")).group_by(
        training_sessions.c.district, training_sessions.c.sector)
    if district:
        query = query.where(training_sessions.c.district == district)
    rows = (await session.execute(query)).all()
    by_district: dict[str, int] = {}
    by_sector: dict[str, int] = {}
    for r in rows:
        by_district[r.district or "unknown"] = by_district.get(r.district or "unknown", 0) + int(r.n)
        by_sector[r.sector or "unknown"] = by_sector.get(r.sector or "unknown", 0) + int(r.n)
    total = sum(by_district.values())
    return {"person_times": total, "target": TARGET_PERSON_TIMES, "by_district": by_district, "by_sector": by_sector}


