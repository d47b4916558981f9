"""Operator-facing delivery machinery: the topology applied idempotently, the dead-letter command, lag."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

from nats.js.errors import NotFoundError

from sihua_shared.bus import durable_name, stream_name, supports_multiple_filters
from sihua_shared.testing.harness import Stack, eventually, running_worker
from tests.pipeline.helpers import producers_of, spec_of

from .kit import count, dead_letters, publish_raw


async def test_topology_is_declared_as_code_and_applied_idempotently(stack: Stack) -> None:
    settings = await stack.settings("catalog")
    registry = await stack.settings("registry", nats_stream_replicas=1)
    async with running_worker(spec_of("registry"), registry):  # the producer creates its stream
        await eventually(lambda: _stream_exists(stack, "registry"))
    nc = await stack.servers.connect("topology-check")
    try:
        js = nc.jetstream()
        # an operator tunes the producer's stream (as replicas=3 would be); no consumer may undo it
        tuned = (await js.stream_info(stream_name("registry", stack.namespace))).config
        tuned.max_msgs = 12345
        await js.update_stream(tuned)
        await stack.create_streams(*producers_of("catalog", but=("registry",)))
        for _ in range(2):  # a second start re-applies the same topology without error or change
            async with running_worker(spec_of("catalog"), settings) as worker:
                await eventually(lambda w=worker: _bound(w))
        stream = await js.stream_info(stream_name("registry", stack.namespace))
        assert stream.config.subjects == [f"{stack.namespace}.sihua.registry.>"]
        assert stream.config.duplicate_window == 120.0
        assert stream.config.max_msgs == 12345  # the consumer's worker left the producer's stream alone
        consumer = await js.consumer_info(stream_name("registry", stack.namespace), durable_name("catalog", "registry"))
        assert consumer.config.durable_name == "catalog_from_registry"
        from_registry = next(s for s in spec_of("catalog").subscriptions if s.producer == "registry")
        handled = sorted({f"{stack.namespace}.sihua.registry.{r.spec.aggregate}.{r.spec.fact}.*" for r in from_registry.reactions})
        assert f"{stack.namespace}.sihua.registry.title.revoked.*" in handled
        if supports_multiple_filters(js):
            assert sorted(consumer.config.filter_subjects or []) == handled
        else:  # NATS < 2.10: the whole stream, and the runner skips what it does not handle
            assert consumer.config.filter_subject == f"{stack.namespace}.sihua.registry.>"
        assert consumer.config.max_deliver == settings.consumer_max_deliver
        own = await js.stream_info(stream_name("catalog", stack.namespace))
        assert own.config.subjects == [f"{stack.namespace}.sihua.catalog.>"]
    finally:
        await nc.close()


async def test_a_consumer_waits_for_the_producer_s_stream_and_never_creates_it(stack: Stack) -> None:
    settings = await stack.settings("catalog")
    await stack.create_streams(*producers_of("catalog", but=("registry",)))
    async with running_worker(spec_of("catalog"), settings) as worker:
        await asyncio.sleep(1.5)  # the catalog worker has tried to bind at least once
        assert not await _stream_exists(stack, "registry")
        assert await _stream_exists(stack, "catalog")  # its own stream, it creates
        assert not any(r.bound for r in worker.runners if r.subscription.producer == "registry")
        registry = await stack.settings("registry")
        async with running_worker(spec_of("registry"), registry):
            await eventually(lambda w=worker: _bound(w), timeout=15)  # bound once the producer made it


async def _stream_exists(stack: Stack, producer: str) -> bool:
    nc = await stack.servers.connect("stream-check")
    try:
        await nc.jetstream().stream_info(stream_name(producer, stack.namespace))
        return True
    except NotFoundError:
        return False
    finally:
        await nc.close()


async def _bound(worker: object) -> bool:
    runners = getattr(worker, "runners", [])
    return bool(runners) and all(r.bound for r in runners)


async def test_dead_letter_command_lists_what_failed(stack: Stack) -> None:
    settings = await stack.settings("funding")
    async with running_worker(spec_of("funding"), settings):
        await publish_raw(
            stack.servers, f"{stack.namespace}.sihua.registry.organisation.registered.v1", b"\xff not an event"
        )
        await eventually(lambda: _one(settings.database_url))
    env = {
        **os.environ,
        "SIHUA_FUNDING_DATABASE_URL": settings.database_url,
        "SIHUA_NATS_URL": stack.servers.nats_url,
        "SIHUA_NATS_NAMESPACE": stack.namespace,
        "SIHUA_DATA_DIR": str(stack.data_dir),  # the worker's NATS seed is in <data_dir>/nats
        "SIHUA_LOG_LEVEL": "ERROR",
    }
    listed = subprocess.run(
        [sys.executable, "-m", "funding.worker", "dead-letters", "list"], env=env, capture_output=True, text=True, check=True
    )
    letters = json.loads(listed.stdout)
    assert [(d["consumer"], d["reason"][:17]) for d in letters] == [("funding_from_registry", "not a CloudEvent:")]
    replay = subprocess.run(
        [sys.executable, "-m", "funding.worker", "dead-letters", "replay", "--all"], env=env, capture_output=True, text=True
    )
    assert replay.returncode == 1  # still poison: the replay says so and leaves it listed
    assert "failed" in json.loads(replay.stdout)[0]["result"]
    assert await count(settings.database_url, dead_letters) == 1


async def _one(database_url: str) -> bool:
    return await count(database_url, dead_letters) == 1


async def test_facts_a_service_does_not_handle_are_skipped_not_dead_lettered(stack: Stack) -> None:
    from sihua_shared.contracts.registry import CALL_OPENED
    from sihua_shared.events import new_event

    settings = await stack.settings("catalog")
    event = new_event(CALL_OPENED, CALL_OPENED.parse(CALL_OPENED.example), subject="c")
    await stack.create_streams("registry", *producers_of("catalog"))
    async with running_worker(spec_of("catalog"), settings) as worker:
        await eventually(lambda w=worker: _bound(w))
        # published straight onto the stream, as a server without multi-subject filters would deliver it
        await publish_raw(stack.servers, CALL_OPENED.subject(stack.namespace), event.model_dump_json().encode())
        await publish_raw(
            stack.servers, f"{stack.namespace}.sihua.registry.organisation.registered.v1", b"{broken"
        )
        await eventually(lambda: _one(settings.database_url))
        runner = next(r for r in worker.runners if r.subscription.producer == "registry")
        assert runner.counts["dead_letter"] == 1
        assert runner.counts["skipped"] in (0, 1)  # 0 when the server's filter kept it away
    assert await count(settings.database_url, dead_letters) == 1
