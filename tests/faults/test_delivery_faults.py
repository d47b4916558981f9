"""Fault tests over real NATS and PostgreSQL; each asserts the exact count of effects."""

from __future__ import annotations

import asyncio
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from registry.main import create_app
from sihua_shared.bus import stream_name
from sihua_shared.db import create_engine, session_factory
from sihua_shared.events import CloudEvent
from sihua_shared.outbox import OutboxRelay
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import rows, spec_of

from .kit import (
    backlog,
    commit_events,
    count,
    dead_letters,
    effects,
    envelope_bytes,
    org_payload,
    processed_messages,
    publish_raw,
)

pytestmark = pytest.mark.faults


async def test_nats_outage_loses_nothing_and_duplicates_nothing(stack: Stack, tmp_path: Path) -> None:
    """NATS stops while the API keeps accepting writes; after it returns every event has one effect."""
    nats = stack.servers.own_nats(tmp_path / "own-nats")  # this test only ever stops the server it started
    try:
        registry = await stack.settings("registry", nats_url=nats.url, relay_max_backoff_seconds=0.5)
        diagnosis = await stack.settings("diagnosis", nats_url=nats.url)
        officer = stack.issuer.headers(["city_officer"])
        async with AsyncExitStack() as running:
            client = await running.enter_async_context(service_client(create_app(registry)))
            await running.enter_async_context(running_worker(spec_of("registry"), registry))
            await running.enter_async_context(running_worker(spec_of("diagnosis"), diagnosis))

            async def register(n: int) -> str:
                body = {"uscc": make_uscc(1000 + n), "name": f"断网测试企业{n}", "kind": "enterprise"}
                response = await client.post("/api/registry/v1/organisations", json=body, headers=officer)
                assert response.status_code == 201, response.text
                return str(response.json()["id"])

            first = await register(0)
            await eventually(lambda: _has(diagnosis.database_url, first))

            nats.stop()
            during = [await register(n) for n in range(1, 21)]
            ready = await client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
            assert await backlog(registry.database_url) == 20

            nats.start()  # same port, same JetStream store
            expected = {first: 1, **{org: 1 for org in during}}

            async def all_delivered() -> bool:
                return await effects(diagnosis.database_url) == expected

            await eventually(all_delivered, timeout=40)
            assert await backlog(registry.database_url) == 0
            assert await count(diagnosis.database_url, processed_messages) == 21
            assert await count(diagnosis.database_url, dead_letters) == 0
    finally:
        nats.stop()


async def _has(database_url: str, org_id: str) -> bool:
    return org_id in await effects(database_url)


async def test_same_event_delivered_twice_has_one_effect(stack: Stack) -> None:
    diagnosis = await stack.settings("diagnosis")
    payload = org_payload(1)
    body = envelope_bytes(payload)
    subject = f"{stack.namespace}.sihua.registry.organisation.registered.v1"
    async with running_worker(spec_of("diagnosis"), diagnosis) as worker:
        # Two different message ids, so JetStream's own de-duplication cannot hide the second copy.
        await publish_raw(stack.servers, subject, body)
        await publish_raw(stack.servers, subject, body)

        async def both_handled() -> bool:
            return bool(worker.runners) and sum(worker.runners[0].counts.values()) == 2

        await eventually(both_handled)
        assert worker.runners[0].counts["processed"] == 1
        assert worker.runners[0].counts["duplicate"] == 1
    assert await effects(diagnosis.database_url) == {payload.organisation_id: 1}
    assert await count(diagnosis.database_url, processed_messages) == 1


class WorkerKilled(Exception):
    """Stands for the process dying between its database commit and its ack."""


async def test_worker_killed_after_commit_before_ack_is_redelivered_with_one_effect(stack: Stack) -> None:
    diagnosis = await stack.settings("diagnosis", consumer_ack_wait_seconds=1.0)
    payload = org_payload(7)
    subject = f"{stack.namespace}.sihua.registry.organisation.registered.v1"
    committed: list[str] = []

    async def die_after_commit(envelope: CloudEvent) -> None:
        committed.append(envelope.id)
        raise WorkerKilled

    with pytest.raises(WorkerKilled):
        async with running_worker(spec_of("diagnosis"), diagnosis, after_commit=die_after_commit):
            await publish_raw(stack.servers, subject, envelope_bytes(payload))
            await eventually(lambda: _async(bool(committed)))
    assert await effects(diagnosis.database_url) == {payload.organisation_id: 1}

    async with running_worker(spec_of("diagnosis"), diagnosis) as restarted:

        async def redelivered() -> bool:
            return bool(restarted.runners) and restarted.runners[0].counts["duplicate"] == 1

        await eventually(redelivered, timeout=30)
        assert restarted.runners[0].counts["processed"] == 0
    assert await effects(diagnosis.database_url) == {payload.organisation_id: 1}
    assert await count(diagnosis.database_url, processed_messages) == 1


async def _async(value: Any) -> Any:
    return value


async def test_poison_events_go_to_dead_letters_and_the_consumer_goes_on(stack: Stack) -> None:
    diagnosis = await stack.settings("diagnosis")
    base = f"{stack.namespace}.sihua.registry.organisation.registered"
    good = org_payload(2)
    later = org_payload(3)
    async with running_worker(spec_of("diagnosis"), diagnosis):
        await publish_raw(stack.servers, f"{base}.v1", b"{not json")
        await publish_raw(stack.servers, f"{base}.v1", envelope_bytes(good, data={"name": "缺少字段"}))
        await publish_raw(
            stack.servers,
            f"{base}.v9",
            envelope_bytes(good, type="cn.gov.sihua.registry.organisation.registered.v9"),
        )
        await publish_raw(stack.servers, f"{base}.v1", envelope_bytes(later))

        await eventually(lambda: _count_is(diagnosis.database_url, 3))
        await eventually(lambda: _has(diagnosis.database_url, later.organisation_id))
    reasons = [r.reason for r in await rows(diagnosis.database_url, select(dead_letters).order_by(dead_letters.c.id))]
    assert "not a CloudEvent" in reasons[0]
    assert "payload does not match" in reasons[1]
    assert "unknown major version v9" in reasons[2]
    assert await effects(diagnosis.database_url) == {later.organisation_id: 1}

    app_settings = diagnosis
    from diagnosis.main import create_app as diagnosis_app

    async with service_client(diagnosis_app(app_settings)) as client:
        metrics = (await client.get("/metrics")).text
    assert 'sihua_dead_letters{consumer="diagnosis_from_registry",service="diagnosis"} 3.0' in metrics


async def _count_is(database_url: str, expected: int) -> bool:
    return await count(database_url, dead_letters) == expected


async def test_two_relays_publish_every_event_exactly_once(stack: Stack) -> None:
    registry = await stack.settings("registry")
    total = 600
    await commit_events(registry.database_url, total, stack.namespace)
    nc = await stack.servers.connect("two-relays")
    engine = create_engine(registry.database_url)
    try:
        js = nc.jetstream()
        from sihua_shared.bus import ensure_stream

        await ensure_stream(js, "registry", namespace=stack.namespace)
        factory = session_factory(engine)
        relays = [
            OutboxRelay(
                factory, js, database_url=registry.database_url, batch_size=50, name=f"relay-{i}", namespace=stack.namespace
            )
            for i in range(2)
        ]

        async def drain(relay: OutboxRelay) -> None:
            published = 1
            while published:
                published = await relay.publish_batch()

        await asyncio.gather(*(drain(r) for r in relays))
        assert sum(r.published for r in relays) == total
        assert all(r.published > 0 for r in relays), [r.published for r in relays]
        info = await js.stream_info(stream_name("registry", stack.namespace))
        assert info.state.messages == total
        assert await backlog(registry.database_url) == 0
    finally:
        await nc.close()
        await engine.dispose()


async def test_exhausted_transient_failure_is_dead_lettered_then_replayed(stack: Stack) -> None:
    """A handler failing every time is retried, dead-lettered when deliveries run out, and the
    operator's replay applies it once the cause is gone."""
    from diagnosis.adapters.readmodels import REGISTRY_FACTS
    from sihua_shared.consumer import Reaction, Subscription
    from sihua_shared.contracts.registry import ORGANISATION_REGISTERED
    from sihua_shared.service import ServiceSpec
    from sihua_shared.worker import Worker, replay_dead_letters

    broken = {"on": True}

    async def flaky(session: Any, envelope: CloudEvent, payload: Any) -> None:
        if broken["on"]:
            raise ConnectionError("downstream unavailable")
        await REGISTRY_FACTS.record_organisation(session, envelope, payload)

    spec = ServiceSpec(
        name="diagnosis",
        title="t",
        description="t",
        subscriptions=[Subscription("diagnosis", "registry", [Reaction(ORGANISATION_REGISTERED, flaky)])],
    )
    diagnosis = await stack.settings("diagnosis", consumer_max_deliver=3, consumer_nak_delay_seconds=0.1)
    payload = org_payload(9)
    async with running_worker(spec, diagnosis):
        await publish_raw(
            stack.servers,
            f"{stack.namespace}.sihua.registry.organisation.registered.v1",
            envelope_bytes(payload),
            msg_id=str(uuid.uuid4()),
        )
        await eventually(lambda: _count_is(diagnosis.database_url, 1), timeout=30)
    letter = (await rows(diagnosis.database_url, select(dead_letters)))[0]
    assert letter.reason.startswith("deliveries exhausted (3)")
    assert await effects(diagnosis.database_url) == {}

    broken["on"] = False
    results = await replay_dead_letters(Worker(spec, diagnosis), None)
    assert results == [{"id": letter.id, "consumer": "diagnosis_from_registry", "result": "processed"}]
    assert await effects(diagnosis.database_url) == {payload.organisation_id: 1}
    replayed = (await rows(diagnosis.database_url, select(dead_letters)))[0]
    assert replayed.replayed_at is not None
