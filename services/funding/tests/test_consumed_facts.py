"""The facts funding consumes arrive over NATS to its worker: evaluation's tier assigned and diagnosis's project
completed land in funding's tables (a redelivery changes nothing)."""

from __future__ import annotations

import json

from sqlalchemy import select

from funding.adapters.funding_tables import diagnosis_completions, tiers
from funding.spec import SPEC
from sihua_shared.bus import ensure_stream
from sihua_shared.contracts.diagnosis import DIAGNOSIS_PROJECT_COMPLETED
from sihua_shared.contracts.evaluation import TIER_ASSIGNED
from sihua_shared.events import EventSpec, new_event
from sihua_shared.testing.harness import Stack, eventually, running_worker
from tests.pipeline.helpers import rows


async def _publish(stack: Stack, spec: EventSpec, times: int = 2) -> None:  # type: ignore[type-arg]
    nc = await stack.servers.connect("funding-facts-test")
    try:
        js = nc.jetstream()
        await ensure_stream(js, spec.service, namespace=stack.namespace)
        assert spec.example is not None
        event = new_event(spec, spec.payload.model_validate(spec.example), subject="s", aggregate_version=1)
        for _ in range(times):  # the same fact twice: a redelivery
            await js.publish(f"{stack.namespace}.{spec.subject()}", json.dumps(event.model_dump(mode="json", exclude_none=True)).encode(),
                             headers={"Content-Type": "application/cloudevents+json; charset=utf-8"})
    finally:
        await nc.close()


async def test_tier_and_diagnosis_facts_reach_the_worker(stack: Stack) -> None:
    settings = await stack.settings("funding")
    async with running_worker(SPEC, settings):
        await _publish(stack, TIER_ASSIGNED)
        await _publish(stack, DIAGNOSIS_PROJECT_COMPLETED)

        async def kept() -> bool:
            return bool(await rows(settings.database_url, select(tiers))) and bool(
                await rows(settings.database_url, select(diagnosis_completions)))

        await eventually(kept, timeout=30)
    tier = await rows(settings.database_url, select(tiers.c.provider_id, tiers.c.tier, tiers.c.year))
    assert [(t.tier, t.year) for t in tier] == [("一档", 2026)]
    fee = await rows(settings.database_url, select(diagnosis_completions.c.fee_fen))
    assert len(fee) == 1
