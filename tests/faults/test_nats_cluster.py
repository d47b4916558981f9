"""A three-node NATS cluster with streams of three replicas: one node is killed mid-flow, and every fact still
has exactly one effect, none is on the stream twice, and the workers carry on with the nodes left."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from sihua_shared.bus import stream_name
from sihua_shared.testing.harness import Stack, eventually, running_worker
from tests.pipeline.helpers import rows, spec_of

from .kit import backlog, commit_events, count, dead_letters, effects, processed_messages

pytestmark = pytest.mark.faults


async def test_a_node_killed_mid_flow_loses_nothing_and_doubles_nothing(stack: Stack, tmp_path: Path) -> None:
    cluster = stack.servers.own_cluster(tmp_path / "cluster")
    try:
        registry = await stack.settings(
            "registry", nats_url=cluster.url, nats_stream_replicas=3, relay_max_backoff_seconds=0.5
        )
        diagnosis = await stack.settings("diagnosis", nats_url=cluster.url, nats_stream_replicas=3)
        async with running_worker(spec_of("registry"), registry), running_worker(spec_of("diagnosis"), diagnosis):
            before = await commit_events(registry.database_url, 40)

            async def applied(ids: list[str]) -> bool:
                found = await effects(diagnosis.database_url)
                return all(found.get(i) == 1 for i in ids)

            await eventually(lambda: applied(before), timeout=60)
            nc = await stack.servers.connect("cluster-test", cluster.url)
            try:
                info = await nc.jetstream().stream_info(stream_name("registry", stack.namespace))
                assert info.config.num_replicas == 3 and info.cluster is not None
                leader = info.cluster.leader
            finally:
                await nc.close()
            assert leader is not None

            during = await commit_events(registry.database_url, 40, start=40)
            cluster.node(leader).kill()  # the node leading the registry's stream, while its facts are relayed
            after = await commit_events(registry.database_url, 40, start=80)

            everything = before + during + after
            await eventually(lambda: applied(everything), timeout=120)
            assert await effects(diagnosis.database_url) == {org: 1 for org in everything}
            assert await backlog(registry.database_url) == 0
            assert await count(diagnosis.database_url, processed_messages) == 120
            assert await count(diagnosis.database_url, dead_letters) == 0

            nc = await stack.servers.connect("cluster-check", cluster.url)
            try:
                info = await nc.jetstream().stream_info(stream_name("registry", stack.namespace))
            finally:
                await nc.close()
            assert info.state.messages == 120  # each fact once on the stream, across the leader change
            assert info.cluster is not None and info.cluster.leader not in (None, leader)
            registered = await rows(diagnosis.database_url, select(processed_messages.c.event_type).distinct())
            assert [r[0] for r in registered] == ["cn.gov.sihua.registry.organisation.registered.v1"]
    finally:
        cluster.stop()
