"""Event contracts: payload schemas against committed snapshots, AsyncAPI documents, CloudEvents conformance.

Regenerate snapshots after a compatible change with ``SIHUA_UPDATE_SNAPSHOTS=1 make test``; a breaking
change is refused unless it comes as a new major version (a new event type).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from asyncapi3.models import AsyncAPI3
from cloudevents.v1.conversion import to_structured
from cloudevents.v1.http import from_json

from sihua_shared.asyncapi import build_asyncapi
from sihua_shared.contracts import all_specs
from sihua_shared.events import EventSpec, new_event
from sihua_shared.settings import SERVICES
from tests.contracts.schema_diff import breaking_changes
from tests.pipeline.helpers import spec_of

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("SIHUA_UPDATE_SNAPSHOTS") == "1"
SPECS = all_specs()


def _schema(spec: EventSpec[Any]) -> dict[str, Any]:
    return spec.payload.model_json_schema()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_payload_schema_matches_snapshot(spec: EventSpec[Any]) -> None:
    path = SNAPSHOTS / f"{spec.type}.json"
    current = _schema(spec)
    if not path.exists():
        if UPDATE:
            path.write_text(json.dumps(current, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
            return
        pytest.fail(f"no snapshot for new event type {spec.type}: run SIHUA_UPDATE_SNAPSHOTS=1 make test and commit it")
    committed = json.loads(path.read_text())
    if committed == json.loads(json.dumps(current)):
        return
    breaking = breaking_changes(committed, current)
    assert not breaking, f"breaking change to {spec.type} without a new version: {breaking}"
    if UPDATE:
        path.write_text(json.dumps(current, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        return
    pytest.fail(f"{spec.type} changed compatibly; refresh its snapshot with SIHUA_UPDATE_SNAPSHOTS=1")


def test_every_snapshot_belongs_to_a_known_event_type() -> None:
    known = {f"{s.type}.json" for s in SPECS}
    orphans = sorted(p.name for p in SNAPSHOTS.glob("*.json") if p.name not in known)
    assert not orphans, f"event types removed without a deprecation window: {orphans}"


def test_schema_diff_detects_breaking_changes() -> None:
    old = {"properties": {"a": {"type": "string"}, "b": {"type": "integer"}, "c": {"enum": ["x", "y"]}}, "required": ["a"]}
    assert breaking_changes(old, {**old, "properties": {**old["properties"], "d": {"type": "string"}}}) == []
    assert breaking_changes(old, {**old, "properties": {"a": {"type": "string"}, "c": {"enum": ["x", "y"]}}}) == ["b: removed"]
    assert breaking_changes(old, {**old, "required": ["a", "b"]}) == ["b: became required"]
    retyped = {**old, "properties": {**old["properties"], "b": {"type": "string"}}}
    assert breaking_changes(old, retyped) == ["b: type ['integer'] -> ['string']"]
    narrowed = {**old, "properties": {**old["properties"], "c": {"enum": ["x"]}}}
    assert breaking_changes(old, narrowed) == ["c: values removed ['y']"]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.type)
def test_example_is_valid_and_parses_with_the_cloudevents_sdk(spec: EventSpec[Any]) -> None:
    assert spec.example is not None, f"{spec.type} needs an example payload"
    payload = spec.parse(spec.example)
    event = new_event(spec, payload, subject="3f1e2d3c-4b5a-4697-8877-665544332211", aggregate_version=1)
    raw = event.model_dump_json(exclude_none=True)
    parsed = from_json(raw)
    assert parsed["specversion"] == "1.0"
    assert parsed["type"] == spec.type == event.type
    assert parsed["id"] == event.id
    assert parsed["source"] == f"/sihua/{spec.service}"
    assert parsed["correlationid"] == event.correlationid
    assert parsed["aggregateversion"] in (1, "1")
    assert parsed.data == payload.model_dump(mode="json")
    _, body = to_structured(parsed)
    assert json.loads(body)["type"] == spec.type


def _resolve_pointer(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


@pytest.mark.parametrize("service", SERVICES)
def test_asyncapi_document_is_valid(service: str) -> None:
    spec = spec_of(service)
    document = build_asyncapi(spec, nats_host="nats.example.invalid:4222")
    AsyncAPI3.model_validate(document)  # the AsyncAPI 3.0 object model accepts it
    assert document["asyncapi"] == "3.0.0"
    for ref in _refs(document):
        _resolve_pointer(document, ref)  # every reference resolves
    components = document["components"]["schemas"]
    for name, schema in components.items():
        jsonschema.Draft7Validator.check_schema(schema), name
    sent = {op["channel"]["$ref"] for op in document["operations"].values() if op["action"] == "send"}
    assert len(sent) == len(spec.publishes)
    for message in document["components"]["messages"].values():
        for example in message.get("examples", []):
            resolver = {"components": document["components"]}
            schema = {**message["payload"], "components": resolver["components"]}
            jsonschema.Draft7Validator(schema).validate(example["payload"])


def test_asyncapi_names_the_deployment_s_server_and_its_security_scheme() -> None:
    from sihua_shared.settings import Settings

    settings = Settings(service="registry", nats_url="nats://nats-0.nats-headless:4222,nats://nats-1.nats-headless:4222")
    document = build_asyncapi(spec_of("registry"), nats_host=settings.nats_address)
    server = document["servers"]["nats"]
    assert server["host"] == "nats-0.nats-headless:4222"
    scheme = _resolve_pointer(document, server["security"][0]["$ref"])
    assert scheme["type"] == "asymmetricEncryption" and "NKey" in scheme["description"]
    assert Settings(service="x", nats_url="tls://user@nats.example.invalid:4443").nats_address == "nats.example.invalid:4443"


def test_asyncapi_validation_rejects_a_broken_document() -> None:
    document = build_asyncapi(spec_of("registry"), nats_host="nats:4222")
    broken = json.loads(json.dumps(document))
    next(iter(broken["operations"].values()))["action"] = "publish"  # AsyncAPI 2.x wording
    with pytest.raises(ValueError):
        AsyncAPI3.model_validate(broken)
