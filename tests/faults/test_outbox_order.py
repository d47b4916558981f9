"""Order per aggregate survives failed publishes and several relays: no fact overtakes an earlier one of its
aggregate on the stream, and the consuming services' read models end right."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from nats.js import JetStreamContext
from sqlalchemy import select, text

from registry.main import create_app
from sihua_shared.bus import ensure_stream, stream_name
from sihua_shared.contracts.registry import ORGANISATION_REGISTERED, ORGANISATION_UPDATED, OrganisationUpdated
from sihua_shared.db import create_engine, session_factory
from sihua_shared.outbox import OutboxRelay, Publisher, record_event
from sihua_shared.tables import outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client
from tests.pipeline.helpers import rows, spec_of

from .kit import backlog, org_payload

pytestmark = pytest.mark.faults

API = "/api/registry/v1"


class InjectedFailure(ConnectionError):
    """A publish that did not reach JetStream."""


def failing_once(js: JetStreamContext, event_ids: set[str]) -> Publisher:
    """JetStream's publish, except that the first attempt of each named event fails."""

    async def publish(subject: str, data: bytes, headers: dict[str, str]) -> Any:
        if headers["Nats-Msg-Id"] in event_ids:
            event_ids.discard(headers["Nats-Msg-Id"])
            raise InjectedFailure(f"injected failure for {headers['Nats-Msg-Id']}")
        return await js.publish(subject, data, headers=headers)

    return publish


@asynccontextmanager
async def relay_kit(stack: Stack, database_url: str) -> AsyncIterator[tuple[JetStreamContext, Callable[..., OutboxRelay]]]:
    """A JetStream context with the registry's stream, and a maker of relays over the registry's outbox."""
    nc = await stack.servers.connect("order-test")
    engine = create_engine(database_url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, "registry", namespace=stack.namespace)

        def relay(name: str, publish: Publisher | None = None, batch_size: int = 200) -> OutboxRelay:
            return OutboxRelay(
                session_factory(engine), js, database_url=database_url, batch_size=batch_size, name=name,
                namespace=stack.namespace, publish=publish,
            )

        yield js, relay
    finally:
        await nc.close()
        await engine.dispose()


async def stream_facts(js: JetStreamContext, namespace: str) -> list[tuple[str, str]]:
    """(aggregate, event id) of every message on the registry's stream, in stream order."""
    name = stream_name("registry", namespace)
    count = (await js.stream_info(name)).state.messages
    found = []
    for seq in range(1, count + 1):
        envelope = json.loads((await js.get_msg(name, seq)).data or b"{}")
        found.append((envelope["subject"], envelope["id"]))
    return found


async def outbox_facts(database_url: str) -> list[tuple[str, str]]:
    """(aggregate, event id) of every outbox row, in the order the facts were recorded."""
    found = await rows(database_url, select(outbox.c.aggregate, outbox.c.id).order_by(outbox.c.seq))
    return [(aggregate, str(event_id)) for aggregate, event_id in found]


def per_aggregate(facts: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for aggregate, event_id in facts:
        grouped.setdefault(aggregate, []).append(event_id)
    return grouped


async def test_a_failed_publish_mid_batch_leaves_every_read_model_right(stack: Stack) -> None:
    """The first fact of an organisation and of a title fail to publish; their later facts wait for them, the
    other organisation's fact goes out, and after the retry the consuming service holds the final state."""
    registry = await stack.settings("registry")
    funding = await stack.settings("funding")
    city = stack.issuer.headers(["city_officer"])
    async with service_client(create_app(registry)) as client:

        async def register(n: int) -> dict[str, Any]:
            body = {"uscc": make_uscc(4200 + n), "name": f"顺序测试平台{n}", "kind": "platform", "district": "huangpu"}
            created = await client.post(f"{API}/organisations", json=body, headers=city)
            assert created.status_code == 201, created.text
            return dict(created.json())

        platform, other = await register(0), await register(1)
        for version, name in ((1, "顺序测试平台（更名一）"), (2, "顺序测试平台（更名二）")):
            patched = await client.patch(
                f"{API}/organisations/{platform['id']}", json={"name": name}, headers={**city, "If-Match": f'"{version}"'}
            )
            assert patched.status_code == 200, patched.text
        granted = await client.post(
            f"{API}/titles", json={"organisation_id": platform["id"], "kind": "key_platform", "valid_from": "2026-01-01"},
            headers=city,
        )
        assert granted.status_code == 201, granted.text
        title = granted.json()
        revoked = await client.post(
            f"{API}/titles/{title['id']}/revoke", json={"reason": "存在虚假申报行为"}, headers={**city, "If-Match": '"1"'}
        )
        assert revoked.status_code == 200, revoked.text

    recorded = await outbox_facts(registry.database_url)
    assert [a for a, _ in recorded] == [platform["id"], other["id"], platform["id"], platform["id"], title["id"], title["id"]]
    first_of_platform, first_of_title = recorded[0][1], recorded[4][1]
    async with relay_kit(stack, registry.database_url) as (js, relay):
        flaky = relay("flaky", failing_once(js, {first_of_platform, first_of_title}))
        with pytest.raises(ConnectionError, match="2 of 6 publishes failed"):
            await flaky.publish_batch()
        # Only the other organisation's fact went out: every later fact waits for the one that failed.
        assert await stream_facts(js, stack.namespace) == [recorded[1]]
        failed = await rows(registry.database_url, select(outbox.c.id, outbox.c.attempts, outbox.c.last_error)
                            .where(outbox.c.last_error.is_not(None)))
        assert {(str(r.id), r.attempts) for r in failed} == {(first_of_platform, 1), (first_of_title, 1)}
        assert all("injected failure" in r.last_error for r in failed)
        assert await backlog(registry.database_url) == 5

        assert await flaky.publish_batch() == 5  # each aggregate's waiting facts, in one batch, in order
        on_stream = await stream_facts(js, stack.namespace)
        assert per_aggregate(on_stream) == per_aggregate(recorded)
        assert await backlog(registry.database_url) == 0

    async with running_worker(spec_of("funding"), funding) as worker:

        async def all_applied() -> bool:
            return bool(worker.runners) and worker.runners[0].counts["processed"] == 6

        await eventually(all_applied, timeout=30)
    organisations = await rows(
        funding.database_url, text("SELECT organisation_id, name, version FROM known_organisations ORDER BY version DESC")
    )
    assert [tuple(o) for o in organisations] == [(platform["id"], "顺序测试平台（更名二）", 3), (other["id"], "顺序测试平台1", 1)]
    titles = await rows(
        funding.database_url, text("SELECT title_id, name_zh, revoked_on, revocation_reason, version FROM known_titles")
    )
    assert [(t.title_id, t.name_zh, t.revoked_on is not None, t.revocation_reason, t.version) for t in titles] == [
        (title["id"], "广州市四化赋能重点平台", True, "存在虚假申报行为", 2)
    ]


async def _record(database_url: str, facts: list[tuple[str, int]]) -> None:
    """Record organisation facts (organisation index, version) in the registry outbox, in one transaction."""
    engine = create_engine(database_url)
    payloads = {n: org_payload(n) for n, _ in facts}
    try:
        async with session_factory(engine)() as session, session.begin():
            for n, version in facts:
                base = payloads[n]
                if version == 1:
                    await record_event(session, ORGANISATION_REGISTERED, base, subject=base.organisation_id, aggregate_version=1)
                    continue
                updated = OrganisationUpdated(**{**base.model_dump(), "name": f"{base.name}v{version}", "version": version})
                await record_event(session, ORGANISATION_UPDATED, updated, subject=base.organisation_id, aggregate_version=version)
    finally:
        await engine.dispose()


async def test_a_relay_never_publishes_a_fact_while_another_holds_an_earlier_one(stack: Stack) -> None:
    registry = await stack.settings("registry")
    await _record(registry.database_url, [(0, 1), (1, 1), (0, 2), (0, 3)])
    recorded = await outbox_facts(registry.database_url)
    held_id = recorded[0][1]
    async with relay_kit(stack, registry.database_url) as (js, relay):
        holding, release = asyncio.Event(), asyncio.Event()

        async def slow_then_failing(subject: str, data: bytes, headers: dict[str, str]) -> Any:
            if headers["Nats-Msg-Id"] == held_id:
                holding.set()
                await release.wait()
                raise InjectedFailure("the publish timed out")
            return await js.publish(subject, data, headers=headers)

        first = relay("first", slow_then_failing, batch_size=1)  # takes organisation 0's first fact only
        second = relay("second")
        held = asyncio.create_task(first.publish_batch())
        await asyncio.wait_for(holding.wait(), 10)
        # The first relay holds organisation 0's first fact: the second publishes organisation 1 only.
        assert await second.publish_batch() == 1
        release.set()
        with pytest.raises(ConnectionError):
            await held
        assert await stream_facts(js, stack.namespace) == [recorded[1]]
        assert await second.publish_batch() == 3
        assert await stream_facts(js, stack.namespace) == [recorded[1], recorded[0], recorded[2], recorded[3]]


async def test_two_relays_with_random_failures_keep_every_aggregate_in_order(stack: Stack) -> None:
    registry = await stack.settings("registry")
    facts = [(n, version) for version in (1, 2, 3) for n in range(60)]
    await _record(registry.database_url, facts[:90])
    await _record(registry.database_url, facts[90:])
    recorded = await outbox_facts(registry.database_url)
    chance = random.Random(7)
    async with relay_kit(stack, registry.database_url) as (js, relay):

        def flaky(name: str) -> OutboxRelay:
            async def publish(subject: str, data: bytes, headers: dict[str, str]) -> Any:
                await asyncio.sleep(chance.random() / 200)  # let the two relays interleave
                if chance.random() < 0.1:
                    raise InjectedFailure("injected")
                return await js.publish(subject, data, headers=headers)

            return relay(name, publish, batch_size=25)

        async def drain(each: OutboxRelay) -> None:
            while await backlog(registry.database_url):
                try:
                    await each.publish_batch()
                except ConnectionError:
                    await asyncio.sleep(0.01)

        relays = [flaky("a"), flaky("b")]
        await asyncio.wait_for(asyncio.gather(*(drain(r) for r in relays)), 120)
        on_stream = await stream_facts(js, stack.namespace)
    assert sorted(on_stream) == sorted(recorded)  # each fact exactly once
    assert per_aggregate(on_stream) == per_aggregate(recorded)
    assert all(r.published > 0 for r in relays), [r.published for r in relays]

