"""Use cases on titles: grant on selection, revoke by a city officer or on a failing evaluation verdict,
verify publicly. They take a session and never commit."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access_sql import where
from sihua_shared.audit import SYSTEM, audit
from sihua_shared.auth import Actor
from sihua_shared.clock import business_clock
from sihua_shared.consumer import PermanentError, Reaction, Subscription
from sihua_shared.contracts.evaluation import VERDICT_ISSUED, VerdictIssued
from sihua_shared.contracts.registry import TITLE_GRANTED, TITLE_REVOKED, TitleGranted, TitleRevoked
from sihua_shared.db import fetch_one
from sihua_shared.errors import DomainError, Kind, forbidden, not_found
from sihua_shared.events import CloudEvent
from sihua_shared.jurisdiction import Jurisdiction
from sihua_shared.logging import get_logger
from sihua_shared.outbox import record_event

from ..adapters.tables import organisations
from ..adapters.title_tables import title_sequences, titles
from ..domain import access as policy
from ..domain.access import DISTRICT, ORGANISATION
from ..domain.titles import (
    Title,
    check_annual_quota,
    check_holder_kind,
    check_in_programme,
    check_one_valid_title,
    grant_title,
    validity_window,
)
from ..domain.verification import is_verified, unverified_refusal
from .access import TITLE_COLUMNS, ensure
from .calls import find_call

log = get_logger("registry.titles")


def as_domain(row: dict[str, Any]) -> Title:
    title = Title(number=row["number"], kind=row["kind"], name_zh=row["name_zh"], organisation_id=row["organisation_id"],
                  valid_from=row["valid_from"], valid_until=row["valid_until"])
    if row.get("revoked_on") is not None:
        title = title.revoke(row["revoked_on"], row["revocation_reason"] or "", row["revoked_by"] or "city_officer")
    return title


async def _next_sequence(session: AsyncSession, kind: str, year: int) -> int:
    statement = (
        pg_insert(title_sequences)
        .values(kind=kind, year=year, last=1)
        .on_conflict_do_update(index_elements=["kind", "year"], set_={"last": title_sequences.c.last + 1})
        .returning(title_sequences.c.last)
    )
    return int((await session.execute(statement)).scalar_one())


async def _organisation(session: AsyncSession, organisation_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(organisations).where(organisations.c.id == organisation_id)
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise not_found("organisation", organisation_id)
    return dict(row)


async def grant_title_to(
    session: AsyncSession,
    actor: Actor,
    jurisdiction: Jurisdiction,
    *,
    organisation_id: str,
    kind: str,
    valid_from: date,
    call_id: str | None = None,
    application_id: str | None = None,
) -> dict[str, Any]:
    """Grant the jurisdiction's title of ``kind`` (number, name and validity from its configuration): through a call of
    that kind, or directly by a city officer; to an organisation of a kind that may hold it and holds no valid title of
    the kind; in force from a day within the programme period. The holder's row is locked, so two grants never race."""
    if call_id is None and not actor.is_city:
        raise forbidden("只有市级主管部门可以直接授予称号", "only a city officer grants a title directly")
    try:
        check_in_programme(jurisdiction, valid_from)
    except DomainError as exc:
        raise exc.at("body") from exc
    call = None if call_id is None else await find_call(session, call_id)
    organisation = await _organisation(session, organisation_id, lock=True)
    try:
        if call is not None and call["kind"] != kind:
            raise DomainError("call_kind_mismatch", "征集类型与称号类型不符", f"the call does not grant {kind} titles", field="kind")
        if not is_verified(organisation["verification"]):
            raise unverified_refusal("获得称号", "hold a title")
        check_holder_kind(jurisdiction, kind, organisation["kind"])
        start, until = validity_window(jurisdiction, kind, valid_from)
        if until is None:
            raise DomainError("title_without_validity", "该称号未配置有效期", "the title kind has no validity period configured",
                              field="kind", detail=f"the jurisdiction gives {kind} titles no validity period")
        held = await session.execute(select(titles).where(titles.c.organisation_id == organisation_id, titles.c.kind == kind))
        check_one_valid_title(Title("", kind, "", organisation_id, start, until), [as_domain(dict(r)) for r in held.mappings()])
        await check_required_title(session, jurisdiction, kind, organisation_id, valid_from)
    except DomainError as exc:
        raise exc.at("body") from exc
    # The (kind, year) sequence row is locked by the upsert until commit: grants of one kind in one year queue on it,
    # so the count below sees every grant committed before this one and a yearly cap holds under concurrency.
    sequence = await _next_sequence(session, kind, valid_from.year)
    try:
        check_annual_quota(jurisdiction, kind, await granted_in_year(session, kind, valid_from.year))
    except DomainError as exc:
        raise exc.at("body") from exc
    title = grant_title(jurisdiction, kind, organisation_id, year=valid_from.year, sequence=sequence, valid_from=valid_from)
    title_id = str(uuid.uuid4())
    row: dict[str, Any] = {
        "id": title_id, "number": title.number, "kind": kind, "name_zh": title.name_zh,
        "organisation_id": organisation_id, "call_id": call_id, "application_id": application_id,
        "valid_from": title.valid_from, "valid_until": until, "version": 1,
    }
    await session.execute(titles.insert().values(**row))
    payload = TitleGranted(
        title_id=row["id"], title_number=title.number, kind=kind, name_zh=title.name_zh,
        organisation_id=organisation_id, uscc=organisation["uscc"], call_id=call_id, application_id=application_id,
        valid_from=title.valid_from, valid_until=until, year=valid_from.year, source=jurisdiction.titles[kind].source or None,
    )
    await record_event(session, TITLE_GRANTED, payload, subject=title_id, aggregate_version=1)
    await audit(session, actor, "title.grant", "title", title_id, after=row)
    return row


async def granted_in_year(session: AsyncSession, kind: str, year: int) -> int:
    """Titles of ``kind`` granted in ``year`` (the year they came into force, their number's year), revoked ones included:
    a yearly cap counts recognitions made, and revoking one does not make room for another."""
    query = select(func.count()).select_from(titles).where(
        titles.c.kind == kind, titles.c.valid_from >= date(year, 1, 1), titles.c.valid_from <= date(year, 12, 31))
    return int((await session.execute(query)).scalar_one())


async def holds_valid_title(session: AsyncSession, organisation_id: str, kind: str, on: date) -> bool:
    found = await session.execute(select(titles).where(titles.c.organisation_id == organisation_id, titles.c.kind == kind))
    return any(as_domain(dict(r)).is_valid_on(on) for r in found.mappings())


async def check_required_title(session: AsyncSession, jurisdiction: Jurisdiction, kind: str, organisation_id: str, on: date) -> None:
    """A kind that is chosen among the holders of another (优秀数字化牵引单位 among traction units, S2 五(九)) goes only to an
    organisation holding that other title, valid on ``on``."""
    config = jurisdiction.title(kind)
    required = None if config is None else config.requires_title
    if required is None or await holds_valid_title(session, organisation_id, required, on):
        return
    name = jurisdiction.titles[required].name_zh
    raise DomainError("required_title_missing", f"须持有有效的“{name}”称号", f"only a holder of a valid {required} title may hold a "
                      f"{kind} title", field="organisation_id", details={"requires_title": required})


async def find_title(session: AsyncSession, title_id: str, *, lock: bool = False) -> dict[str, Any]:
    query = select(titles).where(titles.c.id == title_id)
    row = (await session.execute(query.with_for_update() if lock else query)).mappings().first()
    if row is None:
        raise not_found("title", title_id)
    return dict(row)


async def visible_title(session: AsyncSession, actor: Actor, title_id: str) -> dict[str, Any]:
    """The title, when the policy lets the actor see it (its holder's district decides for a district officer)."""
    row = await find_title(session, title_id)
    holder = await _organisation(session, row["organisation_id"])
    ensure(policy.titles(actor), {ORGANISATION: holder["id"], DISTRICT: holder["district"]})
    return row


async def list_titles(session: AsyncSession, actor: Actor, *, organisation_id: str | None = None) -> list[dict[str, Any]]:
    query = select(titles).where(where(policy.titles(actor), TITLE_COLUMNS)).order_by(titles.c.number)
    if organisation_id:
        query = query.where(titles.c.organisation_id == organisation_id)
    return [dict(r) for r in (await session.execute(query)).mappings()]


async def revoke_title(
    session: AsyncSession,
    actor: Actor,
    title: dict[str, Any],
    *,
    reason: str,
    revoked_by: str,
    on: date,
    cycle_id: str | None = None,
) -> dict[str, Any]:
    if title["revoked_on"] is not None:
        raise DomainError("title_already_revoked", "该称号已撤销", "the title is already revoked", kind=Kind.CONFLICT,
                          detail=f"title {title['number']} was revoked on {title['revoked_on']}")
    values = {"revoked_on": on, "revocation_reason": reason, "revoked_by": revoked_by, "revocation_cycle_id": cycle_id,
              "version": title["version"] + 1}
    await session.execute(update(titles).where(titles.c.id == title["id"]).values(**values))
    organisation = await _organisation(session, title["organisation_id"])
    payload = TitleRevoked(
        title_id=title["id"], title_number=title["number"], kind=title["kind"], organisation_id=title["organisation_id"],
        uscc=organisation["uscc"], reason=reason, revoked_on=on, revoked_by=revoked_by, cycle_id=cycle_id,  # type: ignore[arg-type]
    )
    await record_event(session, TITLE_REVOKED, payload, subject=title["id"], aggregate_version=values["version"])
    after = {**title, **values}
    await audit(session, actor, "title.revoke", "title", title["id"], before=title, after=after)
    return after


async def revoke_on_failing_verdict(session: AsyncSession, envelope: CloudEvent, verdict: VerdictIssued) -> None:
    """The reaction to evaluation's verdict: a failing provider loses the title the verdict names (S0 二(六))."""
    if not verdict.failed:
        return
    row = (await session.execute(select(titles).where(titles.c.id == verdict.title_id).with_for_update())).mappings().first()
    if row is None:
        raise LookupError(f"verdict names unknown title {verdict.title_id}")  # retried, then dead-lettered
    if (row["organisation_id"], row["number"]) != (verdict.provider_id, verdict.title_number):
        # never revoke one provider's title on a verdict about another
        raise PermanentError(f"verdict on provider {verdict.provider_id} ({verdict.title_number}) names title {row['number']} "
                             f"held by {row['organisation_id']}")
    if row["revoked_on"] is not None:
        log.info("titles.verdict_on_revoked_title", title=row["number"])
        return
    reason = "年度评价不合格" + (f"：{'；'.join(verdict.reasons)}" if verdict.reasons else "")
    await revoke_title(session, SYSTEM, dict(row), reason=reason, revoked_by="evaluation", on=business_clock(session).today(),
                       cycle_id=verdict.cycle_id)


def title_subscriptions() -> list[Subscription]:
    return [Subscription("registry", "evaluation", [Reaction(VERDICT_ISSUED, revoke_on_failing_verdict)])]


_VERIFY = (
    select(titles, organisations.c.name.label("organisation_name"), organisations.c.uscc)
    .join(organisations, organisations.c.id == titles.c.organisation_id)
    .where(titles.c.number == bindparam("number"))
)


async def verify_title(session: AsyncSession, number: str, on: date) -> dict[str, Any]:
    """What a bank or an enterprise may learn about a title number: whether it is valid today."""
    row = await fetch_one(session, _VERIFY, number=number.strip().upper())
    if row is None:
        return {"number": number, "found": False, "valid": False, "status": "not_found", "status_zh": "未查询到该称号编号"}
    status = as_domain(dict(row)).status_on(on)
    return {
        "number": row["number"], "found": True, "valid": status.value == "valid", "status": status.value,
        "status_zh": status.label_zh, "name_zh": row["name_zh"], "organisation_name": row["organisation_name"],
        "uscc": row["uscc"], "valid_from": row["valid_from"], "valid_until": row["valid_until"],
        "revoked_on": row["revoked_on"], "checked_on": on,
    }


async def valid_titles(session: AsyncSession, on: date, *, kind: str | None = None) -> list[dict[str, Any]]:
    query = (
        select(titles, organisations.c.name.label("organisation_name"), organisations.c.uscc, organisations.c.district)
        .join(organisations, organisations.c.id == titles.c.organisation_id)
        .where(titles.c.valid_from <= on, titles.c.valid_until >= on)
        .where((titles.c.revoked_on.is_(None)) | (titles.c.revoked_on > on))
        .order_by(titles.c.kind, titles.c.number)
    )
    if kind:
        query = query.where(titles.c.kind == kind)
    return [dict(r) for r in (await session.execute(query)).mappings()]
