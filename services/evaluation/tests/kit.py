"""What the evaluation service tests share: registry facts and diagnosis facts put in the read models the way the
worker's reactions would."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from evaluation.adapters.readmodels import REGISTRY_FACTS
from evaluation.application.facts import on_project_completed
from sihua_shared.contracts.diagnosis import DiagnosisProjectCompleted
from sihua_shared.contracts.registry import OrganisationRegistered, TitleGranted
from sihua_shared.db import create_engine, session_factory
from sihua_shared.events import CloudEvent, EventPayload, EventSpec, new_event
from sihua_shared.testing.data import make_uscc

API = "/api/evaluation/v1"
DAY = date(2026, 11, 2)


def envelope(event_id: str = "e", producer: str = "registry") -> CloudEvent:
    return CloudEvent(id=event_id, source=f"/sihua/{producer}", type="t", time="2026-06-01T00:00:00Z")


async def seed(url: str, *orgs: tuple[str, str, str | None, str | None], titles: tuple[tuple[str, str], ...] = (),
               served: tuple[tuple[str, str], ...] = ()) -> None:
    """Organisations ``(id, kind, district, sector)``, titles ``(organisation, kind)``, completed diagnosis projects
    ``(provider, enterprise)`` (each opens a survey)."""
    engine = create_engine(url)
    async with session_factory(engine)() as s, s.begin():
        for n, (org_id, kind, district, sector) in enumerate(orgs):
            await REGISTRY_FACTS.record_organisation(s, envelope(), OrganisationRegistered(
                organisation_id=org_id, uscc=make_uscc(600 + n), name=f"{org_id} 有限公司", kind=kind,  # type: ignore[arg-type]
                district=district, sector=sector))
        for n, (org_id, kind) in enumerate(titles):
            await REGISTRY_FACTS.record_title_granted(s, envelope(), TitleGranted(
                title_id=f"title-{org_id}", title_number=f"GZ-{kind}-{n}", kind=kind,  # type: ignore[arg-type]
                name_zh="广州市四化赋能重点平台", organisation_id=org_id, uscc=make_uscc(700 + n),
                valid_from=date(2026, 1, 1), valid_until=date(2028, 12, 31)))
        for n, (provider, enterprise) in enumerate(served):
            await on_project_completed(s, envelope(f"project-fact-{n}", "diagnosis"), DiagnosisProjectCompleted(
                project_id=f"project-{n}", enterprise_id=enterprise, provider_id=provider, assessment_id=f"a-{n}",
                report_id=f"r-{n}", completed_on=date(2026, 6, 1)))
    await engine.dispose()


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def if_match(row: dict[str, Any]) -> dict[str, str]:
    return {"If-Match": f'"{row["version"]}"'}


def fact(spec: EventSpec[Any], **changes: Any) -> tuple[EventSpec[Any], EventPayload]:
    """A fact of another service: its contract's example with the fields a test sets."""
    return spec, spec.parse({**(spec.example or {}), **changes})


async def apply(url: str, facts: list[tuple[EventSpec[Any], EventPayload]]) -> list[str]:
    """Apply facts through the evaluation worker's own reactions (as it would from NATS, inbox aside); answers the
    event ids."""
    from evaluation.spec import SPEC

    engine = create_engine(url)
    ids = []
    async with session_factory(engine)() as s, s.begin():
        for spec, payload in facts:
            event = new_event(spec, payload, subject="s", aggregate_version=1)
            ids.append(event.id)
            for sub in SPEC.subscriptions:
                for reaction in sub.reactions:
                    if reaction.spec.type == spec.type:
                        await reaction.handler(s, event, payload)
    await engine.dispose()
    return ids
