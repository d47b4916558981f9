"""NATS connection and the JetStream topology, declared as code and applied idempotently.

One stream per producing service (``SIHUA_<SERVICE>`` over ``sihua.<service>.>``); one durable pull
consumer per (consuming service, producer stream), named ``<consumer>_from_<producer>`` and filtered to
the subjects that consumer handles.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nats
from nats.aio.client import DEFAULT_INBOX_PREFIX
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from .logging import get_logger

log = get_logger("sihua.bus")


def stream_name(producer: str, namespace: str = "") -> str:
    base = f"SIHUA_{producer.upper()}"
    return f"{namespace.upper()}_{base}" if namespace else base


def stream_subjects(producer: str, namespace: str = "") -> str:
    return f"{namespace}.sihua.{producer}.>" if namespace else f"sihua.{producer}.>"


def durable_name(consumer: str, producer: str) -> str:
    return f"{consumer}_from_{producer}"


def user_name(service: str, role: str, namespace: str = "") -> str:
    """The NATS user of a service's process (``api`` or ``worker``); a test namespace prefixes it."""
    return f"{namespace}-{service}-{role}" if namespace else f"{service}-{role}"


def inbox_prefix(user: str) -> str:
    """Each user's replies and pull deliveries arrive under an inbox of its own, which only it may read."""
    return f"_INBOX.{user}"


@dataclass(frozen=True)
class Credentials:
    """Who a connection is: the NKey seed file of its user, and that user's inbox prefix."""

    user: str
    seed_file: Path

    @property
    def inbox_prefix(self) -> str:
        return inbox_prefix(self.user)


class StreamMissing(Exception):
    """The producer's stream does not exist yet: only its producer creates it, so wait and retry."""


@dataclass(frozen=True)
class ConsumerDecl:
    consumer: str
    producer: str
    subjects: tuple[str, ...]


def server_urls(url: str) -> list[str]:
    """The servers of a NATS URL setting: one URL, or a cluster's nodes separated by commas
    (``nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222``); the client moves to another on failure."""
    return [part.strip() for part in url.split(",") if part.strip()]


async def connect(
    url: str, *, name: str, credentials: Credentials | None = None, connect_timeout: float = 2.0
) -> NATS:
    """Connect (as ``credentials`` when given, anonymously otherwise) and retry forever once connected;
    the caller decides how long to wait for the first connection."""

    client: list[NATS] = []

    async def _disconnected() -> None:
        if client and (client[0].is_closed or client[0].is_draining):
            return  # closing on purpose
        log.warning("nats.disconnected", client=name)

    async def _reconnected() -> None:
        log.info("nats.reconnected", client=name)

    async def _error(exc: Exception) -> None:
        log.warning("nats.error", client=name, error=repr(exc))

    nc = await nats.connect(
        server_urls(url),
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=connect_timeout,
        allow_reconnect=True,
        disconnected_cb=_disconnected,
        reconnected_cb=_reconnected,
        error_cb=_error,
        nkeys_seed=str(credentials.seed_file) if credentials is not None else None,
        inbox_prefix=credentials.inbox_prefix if credentials is not None else DEFAULT_INBOX_PREFIX,
    )
    client.append(nc)
    return nc


def server_version(js: JetStreamContext) -> tuple[int, ...]:
    nc = getattr(js, "_nc", None)
    info = getattr(nc, "_server_info", None) or {}
    try:
        return tuple(int(part) for part in str(info.get("version", "0")).split("-")[0].split("."))
    except ValueError:
        return (0,)


def supports_multiple_filters(js: JetStreamContext) -> bool:
    return server_version(js) >= (2, 10)


# JetStream drops a message whose Nats-Msg-Id it saw within this window; the retention of the inbox is longer.
DUPLICATE_WINDOW_SECONDS = 120.0


async def ensure_stream(
    js: JetStreamContext, producer: str, *, namespace: str = "", replicas: int = 1
) -> None:
    """Create or update the producer's own stream. Only the producer's worker calls this (its
    credentials allow nothing else): replicas and retention are the producer's to decide."""
    config = StreamConfig(
        name=stream_name(producer, namespace),
        subjects=[stream_subjects(producer, namespace)],
        storage=StorageType.FILE,
        num_replicas=replicas,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        description=f"Sihua facts published by {producer}",
    )
    try:
        await js.stream_info(config.name or "")
        await js.update_stream(config)
    except NotFoundError:
        await js.add_stream(config)


async def ensure_consumer(
    js: JetStreamContext,
    decl: ConsumerDecl,
    *,
    namespace: str = "",
    ack_wait: float = 30.0,
    max_deliver: int = 5,
) -> None:
    name = durable_name(decl.consumer, decl.producer)
    subjects = sorted({f"{namespace}.{s}" if namespace else s for s in decl.subjects})
    if len(subjects) > 1 and not supports_multiple_filters(js):
        # NATS < 2.10 has one filter subject per consumer: take the whole stream; the runner skips the rest.
        subjects = [stream_subjects(decl.producer, namespace)]
    config = ConsumerConfig(
        durable_name=name,
        name=name,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=ack_wait,
        max_deliver=max_deliver,
        filter_subjects=subjects if len(subjects) > 1 else None,
        filter_subject=subjects[0] if len(subjects) == 1 else None,
        description=f"{decl.consumer} reacting to {decl.producer}",
    )
    stream = stream_name(decl.producer, namespace)
    # A consumer never creates or updates another producer's stream (that would undo the producer's
    # replicas and retention): it waits until the producer has created it.
    try:
        await js.stream_info(stream)
    except NotFoundError as exc:
        raise StreamMissing(f"stream {stream} does not exist yet; its producer creates it") from exc
    await js.add_consumer(stream, config)
