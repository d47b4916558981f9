"""Who may speak on the bus (handbook §3), on a real NATS with authentication on: an anonymous client is
refused, a service publishes only its own facts, an agency reads through its named consumer and nothing
else, and a forged evaluation verdict revokes no title. ``secured_stack`` runs these on the harness's
embedded server, or on one of their own when the suite runs against an external NATS without auth."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import nats
import pytest
from nats.aio.client import Client as NATS
from nats.js.api import AckPolicy, ConsumerConfig

from registry.main import create_app as registry_app
from sihua_shared.bus import Credentials, connect, durable_name, ensure_stream, stream_name
from sihua_shared.contracts.evaluation import VERDICT_ISSUED
from sihua_shared.events import new_event
from sihua_shared.nats_auth import AgencyConsumer
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, eventually, running_worker, service_client

from .helpers import producers_of, spec_of

TITLES = "/api/registry/v1/titles"
DAY = date(2026, 3, 10)  # the business date the forged-verdict test pins


class Refusals:
    """The server's permission errors for one connection, as nats-py reports them."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    async def record(self, exc: Exception) -> None:
        self.errors.append(str(exc))

    async def wait_for(self, subject: str) -> str:
        async def seen() -> str | None:
            # nats-py reports the server's message in lower case
            return next((e for e in self.errors if "permissions violation" in e and subject.lower() in e), None)

        found: str = await eventually(seen, timeout=5, interval=0.05)
        return found


async def _connect_as(url: str, credentials: Credentials | None) -> tuple[NATS, Refusals]:
    assert credentials is not None, "this test needs a NATS with authentication"
    refusals = Refusals()
    nc = await nats.connect(
        url,
        nkeys_seed=str(credentials.seed_file),
        inbox_prefix=credentials.inbox_prefix,
        error_cb=refusals.record,
        allow_reconnect=False,
        max_reconnect_attempts=0,
    )
    return nc, refusals


async def _refused(nc: NATS, refusals: Refusals, subject: str) -> None:
    """Publish on ``subject`` and see the server refuse it."""
    await nc.publish(subject, b"{}")
    await nc.flush()
    await refusals.wait_for(subject)


async def _messages_in(stack: Stack, producer: str) -> int:
    nc = await stack.servers.connect("auth-check")
    try:
        return int((await nc.jetstream().stream_info(stream_name(producer, stack.namespace))).state.messages)
    finally:
        await nc.close()


async def test_an_anonymous_client_is_refused(secured_stack: Stack) -> None:
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(secured_stack.servers.nats_url, allow_reconnect=False, max_reconnect_attempts=0)


async def test_a_seed_the_server_does_not_know_is_refused(secured_stack: Stack, tmp_path: Any) -> None:
    from sihua_shared import nats_auth

    stranger = nats_auth.write_seed(tmp_path, "stranger", nats_auth.new_seed())
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        await nats.connect(
            secured_stack.servers.nats_url, nkeys_seed=str(stranger), allow_reconnect=False, max_reconnect_attempts=0
        )


async def test_diagnosis_cannot_publish_evaluation_s_facts_but_can_publish_its_own(secured_stack: Stack) -> None:
    stack = secured_stack
    diagnosis = await stack.settings("diagnosis")
    await stack.create_streams("evaluation", "diagnosis")
    nc, refusals = await _connect_as(stack.servers.nats_url, diagnosis.nats_credentials("worker"))
    try:
        await _refused(nc, refusals, f"{stack.namespace}.sihua.evaluation.verdict.issued.v1")
        # its own subject is allowed and lands in its own stream
        ack = await nc.jetstream().publish(f"{stack.namespace}.sihua.diagnosis.report.issued.v1", b"{}", timeout=5)
        assert ack.stream == stream_name("diagnosis", stack.namespace)
        # and it may not create, update or delete another producer's stream
        other = stream_name("evaluation", stack.namespace)
        for verb in ("UPDATE", "DELETE", "PURGE"):
            await nc.publish(f"$JS.API.STREAM.{verb}.{other}", b"{}")
        await nc.flush()
        await refusals.wait_for(f"$JS.API.STREAM.PURGE.{other}")
    finally:
        await nc.close()
    assert await _messages_in(stack, "evaluation") == 0


async def test_the_api_reads_its_consumers_lag_and_publishes_nothing(secured_stack: Stack) -> None:
    from diagnosis.main import create_app as diagnosis_app

    stack = secured_stack
    diagnosis = await stack.settings("diagnosis")
    await stack.create_streams("registry", "diagnosis")
    async with running_worker(spec_of("diagnosis"), diagnosis) as worker:
        await eventually(lambda: _all_bound(worker))
        async with service_client(diagnosis_app(diagnosis)) as client:

            async def lag_reported() -> Any:
                metrics = (await client.get("/metrics")).text
                return [line for line in metrics.splitlines() if line.startswith("sihua_consumer_lag{")]

            lag = await eventually(lambda: _every_consumer(lag_reported, len(spec_of("diagnosis").subscriptions)))
            assert f'sihua_consumer_lag{{consumer="{durable_name("diagnosis", "registry")}",service="diagnosis"}} 0.0' in lag
    nc, refusals = await _connect_as(stack.servers.nats_url, diagnosis.nats_credentials("api"))
    try:
        await _refused(nc, refusals, f"{stack.namespace}.sihua.diagnosis.report.issued.v1")
    finally:
        await nc.close()


async def _every_consumer(lines: Any, expected: int) -> list[str] | None:
    found = await lines()
    return found if len(found) == expected else None


async def _all_bound(worker: Any) -> bool:
    return bool(worker.runners) and all(r.bound for r in worker.runners)


async def test_an_agency_reads_through_its_named_consumer_and_nothing_else(secured_stack: Stack) -> None:
    stack = secured_stack
    registry = await stack.settings("registry")
    registry_stream = stream_name("registry", stack.namespace)
    credentials = await stack.add_agency(
        "finance_bureau", [AgencyConsumer("finance_bureau_from_registry", registry_stream)]
    )
    officer = stack.issuer.headers(["city_officer"])
    async with service_client(registry_app(registry)) as client, running_worker(spec_of("registry"), registry):
        created = await client.post(
            "/api/registry/v1/organisations", headers=officer,
            json={"uscc": make_uscc(501), "name": "机构读取测试企业", "kind": "enterprise"},
        )
        assert created.status_code == 201, created.text
        await eventually(lambda: _has_messages(stack))

        nc, refusals = await _connect_as(stack.servers.nats_url, credentials)
        try:
            js = nc.jetstream()
            await js.add_consumer(
                registry_stream,
                ConsumerConfig(
                    name="finance_bureau_from_registry", durable_name="finance_bureau_from_registry",
                    ack_policy=AckPolicy.EXPLICIT, filter_subject=f"{stack.namespace}.sihua.registry.>",
                ),
            )
            sub = await js.pull_subscribe_bind("finance_bureau_from_registry", stream=registry_stream)
            messages = await sub.fetch(10, timeout=5)
            types = [json.loads(m.data)["type"] for m in messages]
            assert "cn.gov.sihua.registry.organisation.registered.v1" in types
            for message in messages:
                await message.ack()

            # it cannot publish a fact, not even one of the stream it reads
            fact = f"{stack.namespace}.sihua.registry.title.revoked.v1"
            await nc.publish(fact, b"{}")
            # nor drain or create a consumer it was not given
            other = durable_name("diagnosis", "registry")
            await nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.{registry_stream}.{other}", b'{"batch": 10}')
            await nc.publish(f"$JS.API.CONSUMER.CREATE.{registry_stream}.spy", b"{}")
            await nc.flush()
            await refusals.wait_for(fact)
            await refusals.wait_for(f"$JS.API.CONSUMER.MSG.NEXT.{registry_stream}.{other}")
            await refusals.wait_for(f"$JS.API.CONSUMER.CREATE.{registry_stream}.spy")
            # nor listen to the facts directly
            await nc.subscribe(f"{stack.namespace}.sihua.>")
            await nc.flush()
            await refusals.wait_for(f"{stack.namespace}.sihua.>")
        finally:
            await nc.close()
    before = await _messages_in(stack, "registry")
    await asyncio.sleep(0.2)
    assert await _messages_in(stack, "registry") == before  # nothing the agency sent landed


async def _has_messages(stack: Stack) -> bool:
    try:
        return await _messages_in(stack, "registry") > 0
    except Exception:
        return False


async def _publish_verdict(url: str, credentials: Credentials | None, stack: Stack, title: dict[str, Any],
                           uscc: str) -> str:
    payload = VERDICT_ISSUED.parse({**(VERDICT_ISSUED.example or {}), "provider_id": title["organisation_id"],
                                    "provider_uscc": uscc, "title_id": title["id"], "title_number": title["number"],
                                    "grade": "不合格", "failed": True})
    event = new_event(VERDICT_ISSUED, payload, subject=title["id"])
    nc = await connect(url, name="verdict", credentials=credentials)
    try:
        await nc.publish(
            VERDICT_ISSUED.subject(stack.namespace), event.model_dump_json().encode(),
            headers={"Nats-Msg-Id": event.id},
        )
        await nc.flush()
    finally:
        await nc.close()
    return event.id


async def test_a_forged_verdict_revokes_no_title(secured_stack: Stack) -> None:
    """The attack of issue 7: a client that is not evaluation publishes a failing verdict; the registry
    never sees it. The same verdict from evaluation's own worker revokes the title (the test can fail)."""
    stack = secured_stack
    registry = await stack.settings("registry", business_date=DAY)
    evaluation = await stack.settings("evaluation")
    diagnosis = await stack.settings("diagnosis")
    city = stack.issuer.headers(["city_officer"])
    uscc = make_uscc(502)
    async with service_client(registry_app(registry)) as client, running_worker(spec_of("registry"), registry) as worker:
        created = await client.post("/api/registry/v1/organisations", headers=city,
                                    json={"uscc": uscc, "name": "伪造评价测试平台", "kind": "platform"})
        body = {"organisation_id": created.json()["id"], "kind": "key_platform", "valid_from": DAY.isoformat()}
        title = (await client.post(TITLES, headers=city, json=body)).json()
        await stack.create_streams(*producers_of("registry", but=("evaluation",)))  # the registry reacts to them too
        # evaluation's worker has created its stream, as it does on start
        nc = await connect(stack.servers.nats_url, name="evaluation-worker", credentials=evaluation.nats_credentials("worker"))
        try:
            await ensure_stream(nc.jetstream(), "evaluation", namespace=stack.namespace)
        finally:
            await nc.close()
        await eventually(lambda: _all_bound(worker))

        for forger in (diagnosis.nats_credentials("worker"), registry.nats_credentials("worker"),
                       evaluation.nats_credentials("api")):
            await _publish_verdict(stack.servers.nats_url, forger, stack, title, uscc)
        await asyncio.sleep(2.0)  # ample for the registry's consumer to react, had anything arrived
        kept = (await client.get(f"{TITLES}/{title['id']}", headers=city)).json()
        assert (kept["revoked_on"], kept["version"]) == (None, 1)
        assert await _messages_in(stack, "evaluation") == 0

        await _publish_verdict(stack.servers.nats_url, evaluation.nats_credentials("worker"), stack, title, uscc)

        async def revoked() -> Any:
            found = (await client.get(f"{TITLES}/{title['id']}", headers=city)).json()
            return found if found["revoked_by"] == "evaluation" else None

        await eventually(revoked)
