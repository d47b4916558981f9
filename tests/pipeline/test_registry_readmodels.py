"""The titles and pilot-pool read models kept by the consuming services, including late and repeated facts."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from funding.adapters.readmodels import known_organisations, known_titles, pilot_pool
from sihua_shared.contracts.registry import (
    ENTERPRISE_ENROLLED,
    ENTERPRISE_REMOVED,
    ORGANISATION_UPDATED,
    TITLE_GRANTED,
    TITLE_REVOKED,
)
from sihua_shared.events import EventSpec, new_event
from sihua_shared.testing.harness import Stack, eventually, running_worker
from tests.faults.kit import publish_raw

from .helpers import rows, spec_of


async def _send(stack: Stack, spec: EventSpec[Any], version: int, data: dict[str, Any] | None = None) -> None:
    """Publish the spec's example as the registry would, with the aggregate version it would carry."""
    payload = spec.parse({**(spec.example or {}), **(data or {})})
    event = new_event(spec, payload, subject="s", aggregate_version=version)
    subject = spec.subject(stack.namespace)
    await publish_raw(stack.servers, subject, json.dumps(event.model_dump(mode="json")).encode())


async def test_titles_and_pilot_pool_are_kept_in_order(stack: Stack) -> None:
    settings = await stack.settings("funding")
    async with running_worker(spec_of("funding"), settings) as worker:
        await _send(stack, TITLE_REVOKED, 2)  # the revocation arrives before the grant
        await _send(stack, TITLE_GRANTED, 1)
        await _send(stack, ENTERPRISE_ENROLLED, 1)
        await _send(stack, ENTERPRISE_REMOVED, 2)
        await _send(stack, ENTERPRISE_ENROLLED, 1)  # a stale copy of the enrolment, older than the removal

        async def all_handled() -> bool:
            return bool(worker.runners) and worker.runners[0].counts["processed"] == 5

        await eventually(all_handled)
    titles = await rows(settings.database_url, select(known_titles))
    # the late grant fills in the name and validity, and leaves the revocation standing
    assert [(t.title_number, t.name_zh, str(t.valid_until), str(t.revoked_on), t.revocation_reason, t.version)
            for t in titles] == [("GZSH-KP-2026-0001", "广州市四化赋能重点平台", "2028-03-31", "2027-04-15", "年度评价不合格", 2)]
    pilot = await rows(settings.database_url, select(pilot_pool))
    assert [(p.sector, str(p.enrolled_on), str(p.removed_on), p.version) for p in pilot] == [
        ("custom_furniture", "2026-02-10", "2026-08-01", 2)
    ]


async def test_an_older_organisation_fact_arriving_late_changes_only_the_count(stack: Stack) -> None:
    settings = await stack.settings("catalog")
    async with running_worker(spec_of("catalog"), settings) as worker:
        await _send(stack, ORGANISATION_UPDATED, 3, {"name": "新名称", "version": 3})
        await _send(stack, ORGANISATION_UPDATED, 2, {"name": "旧名称", "version": 2})

        async def both() -> bool:
            return bool(worker.runners) and worker.runners[0].counts["processed"] == 2

        await eventually(both)
    held = await rows(settings.database_url, select(known_organisations))
    assert [(o.name, o.version, o.facts_applied) for o in held] == [("新名称", 3, 2)]
