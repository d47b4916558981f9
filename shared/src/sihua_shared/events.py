"""The CloudEvents 1.0 envelope (structured JSON mode) and the specification of each event type.

type    ``cn.gov.sihua.<service>.<aggregate>.<fact>.v<N>``
subject ``sihua.<service>.<aggregate>.<fact>.v<N>`` on NATS (prefixed by the namespace in tests)
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .clock import now_utc
from .logging import causation_id_var, correlation_id_var, request_id_var

TYPE_PREFIX = "cn.gov.sihua."
_TOKEN = re.compile(r"^[a-z][a-z0-9_]*$")


class EventPayload(BaseModel):
    """Base of every payload: tolerant reader (unknown fields are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


P = TypeVar("P", bound=EventPayload)


@dataclass(frozen=True)
class EventSpec(Generic[P]):
    """One event type: who produces it, for which aggregate, which fact, which major version."""

    service: str
    aggregate: str
    fact: str
    version: int
    payload: type[P]
    summary: str = ""
    # A valid payload, shown in the AsyncAPI document and used by the contract tests.
    example: dict[str, Any] | None = None
    # How people read the fact (enterprise file, notifications), in Chinese.
    title_zh: str = ""

    def __post_init__(self) -> None:
        for token in (self.service, self.aggregate, self.fact):
            if not _TOKEN.match(token):
                raise ValueError(f"event token {token!r} must be lower-case snake_case")

    @property
    def type(self) -> str:
        return f"{TYPE_PREFIX}{self.service}.{self.aggregate}.{self.fact}.v{self.version}"

    @property
    def family(self) -> str:
        """The type without its version: the same fact across major versions."""
        return f"{TYPE_PREFIX}{self.service}.{self.aggregate}.{self.fact}"

    def subject(self, namespace: str = "") -> str:
        base = f"sihua.{self.service}.{self.aggregate}.{self.fact}.v{self.version}"
        return f"{namespace}.{base}" if namespace else base

    def parse(self, data: Any) -> P:
        return self.payload.model_validate(data)


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 structured-mode event as Sihua sends it."""

    model_config = ConfigDict(extra="allow")

    specversion: str = "1.0"
    id: str
    source: str
    type: str
    time: str
    subject: str | None = None
    datacontenttype: str = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)
    correlationid: str | None = None
    causationid: str | None = None
    aggregateversion: int | None = None


def new_event(
    spec: EventSpec[P],
    payload: P,
    *,
    subject: str,
    aggregate_version: int | None = None,
    event_id: str | None = None,
) -> CloudEvent:
    """Build the envelope, taking correlation and causation from the current context."""
    if not isinstance(payload, spec.payload):
        raise TypeError(f"{spec.type} takes {spec.payload.__name__}, not {type(payload).__name__}")
    eid = event_id or str(uuid.uuid4())
    correlation = correlation_id_var.get() or eid
    causation = causation_id_var.get() or request_id_var.get() or correlation
    return CloudEvent(
        id=eid,
        source=f"/sihua/{spec.service}",
        type=spec.type,
        time=now_utc().isoformat().replace("+00:00", "Z"),
        subject=subject,
        data=payload.model_dump(mode="json"),
        correlationid=correlation,
        causationid=causation,
        aggregateversion=aggregate_version,
    )


def parse_type(event_type: str) -> tuple[str, str, str, int]:
    """``cn.gov.sihua.registry.organisation.registered.v1`` → (service, aggregate, fact, 1)."""
    if not event_type.startswith(TYPE_PREFIX):
        raise ValueError(f"not a Sihua event type: {event_type!r}")
    parts = event_type[len(TYPE_PREFIX) :].split(".")
    if len(parts) != 4 or not parts[3].startswith("v") or not parts[3][1:].isdigit():
        raise ValueError(f"malformed event type: {event_type!r}")
    return parts[0], parts[1], parts[2], int(parts[3][1:])


__all__ = [
    "CloudEvent",
    "EventPayload",
    "EventSpec",
    "ValidationError",
    "new_event",
    "parse_type",
]
