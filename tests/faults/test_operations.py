"""Operator-facing delivery machinery: the topology applied idempotently, the dead-letter command, lag."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sihua_shared.bus import connect, durable_name, stream_name, supports_multiple_filters
from sihua_shared.testing.harness import Stack, eventually, running_worker
from tests.pipeline.helpers import spec_of

from .kit import count, dead_letters, publish_raw


async def test_topology_is_declared_as_code_and_applied_idempotently(stack: Stack) -> None:
    settings = await stack.settings("catalog")
    for _ in range(2):  # a second start re-applies the same topology without error or change
        async with running_worker(spec_of("catalog"), settings) as worker:
            await eventually(lambda w=worker: _bound(w))
    nc = await connect(stack.servers.nats_url, name="topology-check")
    try:
        js = nc.jetstream()
        stream = await js.stream_info(stream_name("registry", stack.namespace))
        assert stream.config.subjects == [f"{stack.namespace}.sihua.registry.>"]
        assert stream.config.duplicate_window == 120.0
        consumer = await js.consumer_info(stream_name("registry", stack.namespace), durable_name("catalog", "registry"))
        assert consumer.config.durable_name == "catalog_from_registry"
        handled = [
            f"{stack.namespace}.sihua.registry.{fact}.*"
            for fact in (
                "account.deactivated", "account.reactivated", "organisation.registered", "organisation.updated",
                "pilot_pool.enterprise_enrolled", "pilot_pool.enterprise_removed", "title.granted", "title.revoked",
            )
        ]
        if supports_multiple_filters(js):
            assert sorted(consumer.config.filter_subjects or []) == handled
        else:  # NATS < 2.10: the whole stream, and the runner skips what it does not handle
            assert consumer.config.filter_subject == f"{stack.namespace}.sihua.registry.>"
        assert consumer.config.max_deliver == settings.consumer_max_deliver
        own = await js.stream_info(stream_name("catalog", stack.namespace))
        assert own.config.subjects == [f"{stack.namespace}.sihua.catalog.>"]
    finally:
        await nc.close()


async def _bound(worker: object) -> bool:
    runners = getattr(worker, "runners", [])
    return bool(runners) and all(r.bound for r in runners)


async def test_dead_letter_command_lists_what_failed(stack: Stack) -> None:
    settings = await stack.settings("funding")
    async with running_worker(spec_of("funding"), settings):
        await publish_raw(
            stack.servers.nats_url, f"{stack.namespace}.sihua.registry.organisation.registered.v1", b"\xff not an event"
        )
        await eventually(lambda: _one(settings.database_url))
    env = {
        **os.environ,
        "SIHUA_FUNDING_DATABASE_URL": settings.database_url,
        "SIHUA_NATS_URL": stack.servers.nats_url,
        "SIHUA_NATS_NAMESPACE": stack.namespace,
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
    async with running_worker(spec_of("catalog"), settings) as worker:
        await eventually(lambda w=worker: _bound(w))
        # published straight onto the stream, as a server without multi-subject filters would deliver it
        await publish_raw(stack.servers.nats_url, CALL_OPENED.subject(stack.namespace), event.model_dump_json().encode())
        await publish_raw(
            stack.servers.nats_url, f"{stack.namespace}.sihua.registry.organisation.registered.v1", b"{broken"
        )
        await eventually(lambda: _one(settings.database_url))
        runner = worker.runners[0]
        assert runner.counts["dead_letter"] == 1
        assert runner.counts["skipped"] in (0, 1)  # 0 when the server's filter kept it away
    assert await count(settings.database_url, dead_letters) == 1
