"""The batched consumer: a fetched batch is one transaction with a savepoint per event. A poison event goes alone
to dead letters, a transient failure naks its event and the later events of its aggregate, a duplicate in the
batch has one effect — each asserted on rows, outcomes and what the broker redelivers."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from nats.aio.msg import Msg
from sqlalchemy import select

from diagnosis.adapters.readmodels import known_organisations
from sihua_shared.bus import ensure_stream, stream_name
from sihua_shared.consumer import ConsumerRunner, Reaction, Subscription
from sihua_shared.contracts.registry import ORGANISATION_UPDATED, OrganisationRegistered, OrganisationUpdated
from sihua_shared.db import create_engine, session_factory
from sihua_shared.events import CloudEvent, new_event
from sihua_shared.testing.harness import Stack
from tests.pipeline.helpers import rows, spec_of

from .kit import count, dead_letters, effects, envelope_bytes, org_payload, processed_messages

pytestmark = pytest.mark.faults

SUBJECT = "sihua.registry.organisation.{}.v1"


def updated_bytes(base: OrganisationRegistered, version: int) -> bytes:
    payload = OrganisationUpdated(**{**base.model_dump(), "name": f"{base.name}v{version}", "version": version})
    event = new_event(ORGANISATION_UPDATED, payload, subject=base.organisation_id, aggregate_version=version)
    return json.dumps(event.model_dump(mode="json", exclude_none=True), ensure_ascii=False).encode()


def diagnosis_subscription(wrap: Callable[[Any], Any] | None = None) -> Subscription:
    """The diagnosis service's consumer of registry facts, its handlers optionally wrapped."""
    (sub,) = [s for s in spec_of("diagnosis").subscriptions if s.producer == "registry"]
    reactions = [Reaction(r.spec, wrap(r.handler) if wrap else r.handler) for r in sub.reactions]
    return Subscription(sub.consumer, sub.producer, reactions)


@asynccontextmanager
async def batch_kit(
    stack: Stack, database_url: str, subscription: Subscription
) -> AsyncIterator[tuple[Callable[..., Any], Callable[..., Any], ConsumerRunner]]:
    """A runner over the diagnosis database, a publisher of raw registry messages and a fetch of the pending
    ones, so a test decides exactly what one batch holds."""
    nc = await stack.servers.connect("batch-test")
    engine = create_engine(database_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, "registry", namespace=stack.namespace)
        runner = ConsumerRunner(
            session_factory(engine), js, subscription, namespace=stack.namespace, ack_wait=30, max_deliver=3,
            nak_delay=0.2,
        )
        await runner.declare()
        sub = await js.pull_subscribe_bind(runner.name, stream=stream_name("registry", stack.namespace))

        async def publish(fact: str, data: bytes) -> None:
            subject = f"{stack.namespace}.{SUBJECT.format(fact)}"
            await js.publish(subject, data, headers={"Nats-Msg-Id": str(uuid.uuid4())})

        async def fetch(expected: int, timeout: float = 10.0) -> list[Msg]:
            got: list[Msg] = []
            while len(got) < expected:
                got += await sub.fetch(expected - len(got), timeout=timeout)
            return got

        yield publish, fetch, runner
    finally:
        await nc.close()
        await engine.dispose()


async def test_a_poison_event_in_a_batch_goes_alone_to_dead_letters(stack: Stack) -> None:
    diagnosis = await stack.settings("diagnosis")
    good, other, later = org_payload(11), org_payload(12), org_payload(13)
    async with batch_kit(stack, diagnosis.database_url, diagnosis_subscription()) as (publish, fetch, runner):
        await publish("registered", envelope_bytes(good))
        await publish("registered", envelope_bytes(other, data={"name": "缺少字段"}))
        await publish("registered", b"{not json")
        await publish("registered", envelope_bytes(later))
        outcomes = await runner.handle_batch(await fetch(4))
        assert outcomes == ["processed", "dead_letter", "dead_letter", "processed"]
        assert runner.batches == 1  # one transaction for the four
    assert await effects(diagnosis.database_url) == {good.organisation_id: 1, later.organisation_id: 1}
    assert await count(diagnosis.database_url, processed_messages) == 2
    letters = await rows(diagnosis.database_url, select(dead_letters).order_by(dead_letters.c.id))
    assert ["payload does not match" in letters[0].reason, "not a CloudEvent" in letters[1].reason] == [True, True]


async def test_a_duplicate_in_a_batch_has_one_effect(stack: Stack) -> None:
    diagnosis = await stack.settings("diagnosis")
    seen, twice = org_payload(21), org_payload(22)
    seen_body, twice_body = envelope_bytes(seen), envelope_bytes(twice)
    async with batch_kit(stack, diagnosis.database_url, diagnosis_subscription()) as (publish, fetch, runner):
        await publish("registered", seen_body)
        assert await runner.handle_batch(await fetch(1)) == ["processed"]
        # the same events again under new message ids, so JetStream's de-duplication cannot hide them
        await publish("registered", twice_body)
        await publish("registered", seen_body)
        await publish("registered", twice_body)
        assert await runner.handle_batch(await fetch(3)) == ["processed", "duplicate", "duplicate"]
        assert runner.counts["duplicate"] == 2
    assert await effects(diagnosis.database_url) == {seen.organisation_id: 1, twice.organisation_id: 1}
    assert await count(diagnosis.database_url, processed_messages) == 2


async def test_a_transient_failure_mid_batch_holds_back_its_aggregate_only(stack: Stack) -> None:
    """Organisation A's first fact fails once: A's later fact in the batch is nak-ed too (it must not overtake
    it), B and C are applied; on redelivery A's facts are applied in order, each once."""
    diagnosis = await stack.settings("diagnosis")
    a, b, c = org_payload(31), org_payload(32), org_payload(33)
    first_of_a = envelope_bytes(a)
    failing = {json.loads(first_of_a)["id"]}

    def wrap(handler: Any) -> Any:
        async def flaky(session: Any, envelope: CloudEvent, payload: Any) -> None:
            await handler(session, envelope, payload)  # its effect is written, then rolled back with its savepoint
            if envelope.id in failing:
                failing.discard(envelope.id)
                raise ConnectionError("the database connection dropped")

        return flaky

    async with batch_kit(stack, diagnosis.database_url, diagnosis_subscription(wrap)) as (publish, fetch, runner):
        await publish("registered", first_of_a)
        await publish("registered", envelope_bytes(b))
        await publish("updated", updated_bytes(a, 2))
        await publish("registered", envelope_bytes(c))
        assert await runner.handle_batch(await fetch(4)) == ["retry", "processed", "retry", "processed"]
        assert await effects(diagnosis.database_url) == {b.organisation_id: 1, c.organisation_id: 1}
        assert await count(diagnosis.database_url, processed_messages) == 2

        redelivered = await fetch(2)
        assert [m.metadata.num_delivered for m in redelivered] == [2, 2]
        assert [json.loads(m.data)["id"] for m in redelivered][0] == json.loads(first_of_a)["id"]
        assert await runner.handle_batch(redelivered) == ["processed", "processed"]
    assert await effects(diagnosis.database_url) == {a.organisation_id: 2, b.organisation_id: 1, c.organisation_id: 1}
    found = await rows(diagnosis.database_url, select(known_organisations.c.name, known_organisations.c.version)
                       .where(known_organisations.c.organisation_id == a.organisation_id))
    assert [tuple(r) for r in found] == [(f"{a.name}v2", 2)]
    assert await count(diagnosis.database_url, processed_messages) == 4
    assert await count(diagnosis.database_url, dead_letters) == 0


async def test_a_fact_held_back_behind_a_failing_one_goes_on_once_that_one_is_dead_lettered(stack: Stack) -> None:
    """A's first fact fails every time: its later fact waits with it, and when the first is dead-lettered (its
    deliveries exhausted) the later one is applied rather than dropped."""
    diagnosis = await stack.settings("diagnosis")
    a = org_payload(41)
    first_of_a = envelope_bytes(a)
    broken = {json.loads(first_of_a)["id"]}

    def wrap(handler: Any) -> Any:
        async def flaky(session: Any, envelope: CloudEvent, payload: Any) -> None:
            if envelope.id in broken:
                raise ConnectionError("downstream unavailable")
            await handler(session, envelope, payload)

        return flaky

    async with batch_kit(stack, diagnosis.database_url, diagnosis_subscription(wrap)) as (publish, fetch, runner):
        await publish("registered", first_of_a)
        await publish("updated", updated_bytes(a, 2))
        assert await runner.handle_batch(await fetch(2)) == ["retry", "retry"]
        assert await runner.handle_batch(await fetch(2)) == ["retry", "retry"]
        assert await runner.handle_batch(await fetch(2)) == ["dead_letter", "processed"]  # max_deliver is 3
    letters = await rows(diagnosis.database_url, select(dead_letters))
    assert [r.reason.split(":")[0] for r in letters] == ["deliveries exhausted (3)"]
    assert await effects(diagnosis.database_url) == {a.organisation_id: 1}
