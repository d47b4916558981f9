"""AsyncAPI 3.0 documents generated from the event models a service sends and receives."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from .events import EventSpec
from .service import ServiceSpec

_REF = "#/components/schemas/{model}"


def _message_id(spec: EventSpec[Any]) -> str:
    return f"{spec.service}.{spec.aggregate}.{spec.fact}.v{spec.version}"


def _envelope_schema(payload_ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "CloudEvents 1.0, structured JSON mode",
        "required": ["specversion", "id", "source", "type", "time", "datacontenttype", "data"],
        "properties": {
            "specversion": {"type": "string", "const": "1.0"},
            "id": {"type": "string", "format": "uuid", "description": "also Nats-Msg-Id and the inbox key"},
            "source": {"type": "string"},
            "type": {"type": "string"},
            "time": {"type": "string", "format": "date-time"},
            "subject": {"type": "string", "description": "the aggregate id"},
            "datacontenttype": {"type": "string", "const": "application/json"},
            "correlationid": {"type": "string"},
            "causationid": {"type": "string"},
            "aggregateversion": {"type": "integer"},
            "data": {"$ref": payload_ref},
        },
    }


def _example_envelope(event: EventSpec[Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": "3f1e2d3c-4b5a-4697-8877-665544332211",
        "source": f"/sihua/{event.service}",
        "type": event.type,
        "time": "2026-01-05T08:00:00Z",
        "subject": "0b7f2c1e-3d4a-4e8b-9f10-2a3b4c5d6e7f",
        "datacontenttype": "application/json",
        "correlationid": "3f1e2d3c-4b5a-4697-8877-665544332211",
        "causationid": "3f1e2d3c-4b5a-4697-8877-665544332211",
        "data": event.example,
    }


# AsyncAPI has no NKey type of its own; an NKey is an Ed25519 key pair whose seed signs the server's nonce.
SECURITY_SCHEMES: dict[str, Any] = {
    "nkey": {
        "type": "asymmetricEncryption",
        "description": (
            "NATS NKey (Ed25519) authentication: the client signs the server's challenge with its seed; the "
            "server knows only the public key. Each service's api and worker has its own; an agency gets a "
            "read-only one from the operator (`python -m sihua_shared.nats_auth add-agency NAME --consumer "
            "DURABLE:STREAM`) that may only pull and ack the durable consumers it names, and it subscribes "
            "to replies under `_INBOX.agency-NAME.>` (set the client's inbox prefix to `_INBOX.agency-NAME`)."
        ),
    }
}


def build_asyncapi(spec: ServiceSpec, *, nats_host: str) -> dict[str, Any]:
    sent = list(spec.publishes)
    received = [s for s in spec.consumes if s.type not in {p.type for p in sent}]
    every = sent + received
    refs, schemas = models_json_schema(
        [(s.payload, "validation") for s in every], ref_template=_REF
    )
    components_schemas: dict[str, Any] = dict(schemas.get("$defs", {}))
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for action, specs in (("send", sent), ("receive", received)):
        for event in specs:
            mid = _message_id(event)
            channel_id = mid.replace(".", "_")
            messages[channel_id] = {
                "name": event.type,
                "title": event.payload.__name__,
                "summary": event.summary or (event.payload.__doc__ or "").strip().splitlines()[0],
                "description": (event.payload.__doc__ or "").strip(),
                "contentType": "application/cloudevents+json",
                "headers": {
                    "type": "object",
                    "properties": {"Nats-Msg-Id": {"type": "string", "description": "the event id"}},
                },
                # pydantic's own reference: two producers' payloads of one class name get distinct schema names
                "payload": _envelope_schema(refs[(event.payload, "validation")]["$ref"]),
            }
            if event.example is not None:
                messages[channel_id]["examples"] = [{"name": "example", "payload": _example_envelope(event)}]
            channels[channel_id] = {
                "address": event.subject(),
                "title": event.type,
                "messages": {channel_id: {"$ref": f"#/components/messages/{channel_id}"}},
            }
            operations[f"{action}_{channel_id}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": f"{'Publishes' if action == 'send' else 'Consumes'} {event.type}",
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{channel_id}"}],
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": f"Sihua {spec.name} events",
            "version": spec.version,
            "description": (
                f"{spec.description}\n\nEvents are CloudEvents 1.0 (structured JSON) on NATS JetStream; "
                f"this service publishes to stream SIHUA_{spec.name.upper()} over sihua.{spec.name}.>."
            ),
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            "nats": {
                "host": nats_host,
                "protocol": "nats",
                "description": "NATS JetStream of this deployment (SIHUA_NATS_URL); every connection authenticates.",
                "security": [{"$ref": "#/components/securitySchemes/nkey"}],
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": components_schemas, "securitySchemes": SECURITY_SCHEMES},
    }

