"""Assemble the enterprise file (一企一档) from facts: any event whose payload names an organisation
(``enterprise_id``, ``organisation_id``, or funding's ``applicant_id``: applications, payments, claw-backs) becomes
an entry on that organisation's timeline, linked to its fact (event id and type).

New event contracts join the file automatically when they carry one of those fields. A fact naming none files
nothing: evaluation's ``survey.answered`` names only the provider on purpose (who answered what stays there).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.consumer import Reaction, Subscription
from sihua_shared.contracts import all_specs, spec_for_type
from sihua_shared.events import CloudEvent, EventSpec, parse_type

from ..adapters.file_tables import enterprise_file_entries

ORGANISATION_FIELDS = ("enterprise_id", "organisation_id", "applicant_id")


def organisation_of(payload: Any) -> str | None:
    for name in ORGANISATION_FIELDS:
        value = getattr(payload, name, None)
        if value:
            return str(value)
    return None


async def record_in_enterprise_file(session: AsyncSession, envelope: CloudEvent, payload: Any) -> None:
    organisation_id = organisation_of(payload)
    if organisation_id is None:
        return
    service, _, _, _ = parse_type(envelope.type)
    spec = spec_for_type(envelope.type)
    await session.execute(
        pg_insert(enterprise_file_entries)
        .values(
            organisation_id=organisation_id,
            event_id=envelope.id,
            event_type=envelope.type,
            source=service,
            title_zh=(spec.title_zh or spec.summary if spec else None) or envelope.type,
            occurred_at=datetime.fromisoformat(envelope.time.replace("Z", "+00:00")),
            data=envelope.data,
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )


def _files_an_organisation(spec: EventSpec[Any]) -> bool:
    return any(name in spec.payload.model_fields for name in ORGANISATION_FIELDS)


def enterprise_file_subscriptions() -> list[Subscription]:
    by_producer: dict[str, list[Reaction]] = defaultdict(list)
    for spec in all_specs():
        if _files_an_organisation(spec):
            by_producer[spec.service].append(Reaction(spec, record_in_enterprise_file))
    return [Subscription("registry", producer, reactions) for producer, reactions in sorted(by_producer.items())]


async def read_enterprise_file(
    session: AsyncSession, organisation_id: str, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where = enterprise_file_entries.c.organisation_id == organisation_id
    total = (await session.execute(select(func.count()).select_from(enterprise_file_entries).where(where))).scalar_one()
    rows = (
        await session.execute(
            select(enterprise_file_entries)
            .where(where)
            .order_by(enterprise_file_entries.c.occurred_at, enterprise_file_entries.c.id)
            .limit(limit)
            .offset(offset)
        )
    ).mappings()
    return [dict(r) for r in rows], int(total)
