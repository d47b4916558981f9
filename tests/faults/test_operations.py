"""Operator-facing delivery machinery: the topology applied idempotently, the dead-letter command, lag."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sihua_shared.bus import connect, durable_name, stream_name
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
        assert sorted(consumer.config.filter_subjects or []) == [
            f"{stack.namespace}.sihua.registry.{fact}.*"
            for fact in (
                "organisation.registered", "organisation.updated", "pilot_enterprise.enrolled", "pilot_enterprise.removed",
                "title.granted", "title.revoked",
            )
        ]
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
