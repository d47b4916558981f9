"""The consumer runner with the inbox.

For each message: parse the CloudEvent; in one transaction record ``(consumer, event id)`` in
``processed_messages`` and run the handler; commit; then ack. A repeated delivery finds the inbox row
and is only acked. Failures are classified: permanent ones (a payload that can never be processed, an
unknown major version) go to ``dead_letters`` with the reason and are terminated; transient ones are
``nak``-ed with a delay, and dead-lettered when their deliveries are exhausted.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from pydantic import ValidationError
from sqlalchemy import bindparam, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .aio import sleep_or_stop
from .bus import ConsumerDecl, StreamMissing, durable_name, ensure_consumer, stream_name
from .events import CloudEvent, EventSpec, parse_type
from .logging import causation_id_var, correlation_id_var, get_logger
from .tables import dead_letters, processed_messages

log = get_logger("sihua.consumer")

Handler = Callable[[AsyncSession, CloudEvent, Any], Awaitable[None]]


class PermanentError(Exception):
    """The event can never be processed as it is: dead-letter it, don't retry."""


class NotForUs(Exception):
    """A well-formed fact of a family this consumer does not handle. The subject filter normally keeps
    these away; servers without multi-subject filters (NATS < 2.10) deliver them, and they are skipped."""


@dataclass(frozen=True)
class Reaction:
    """A handler for one event type: ``handler(session, envelope, payload)``."""

    spec: EventSpec[Any]
    handler: Handler


@dataclass
class Subscription:
    """What one consuming service handles from one producer."""

    consumer: str
    producer: str
    reactions: list[Reaction] = field(default_factory=list)

    @property
    def decl(self) -> ConsumerDecl:
        return ConsumerDecl(
            self.consumer,
            self.producer,
            tuple(sorted({_family_subject(r.spec) for r in self.reactions})),
        )

    @property
    def durable(self) -> str:
        return durable_name(self.consumer, self.producer)


def merge_subscriptions(*groups: list[Subscription]) -> list[Subscription]:
    """One subscription per (consumer, producer): a durable consumer serves every reaction to that producer,
    and several reactions to one event run in the same transaction."""
    merged: dict[tuple[str, str], Subscription] = {}
    for group in groups:
        for sub in group:
            key = (sub.consumer, sub.producer)
            if key in merged:
                merged[key].reactions.extend(sub.reactions)
            else:
                merged[key] = Subscription(sub.consumer, sub.producer, list(sub.reactions))
    return list(merged.values())


def _family_subject(spec: EventSpec[Any]) -> str:
    # Subscribe to every major version of a fact: an unknown one must reach dead letters, not vanish.
    return f"sihua.{spec.service}.{spec.aggregate}.{spec.fact}.*"


Outcome = str  # "processed" | "duplicate" | "dead_letter" | "retry"

_RECORD_IN_INBOX = (
    pg_insert(processed_messages)
    .values(consumer=bindparam("consumer"), event_id=bindparam("event_id"), event_type=bindparam("event_type"))
    .on_conflict_do_nothing()
    .returning(processed_messages.c.event_id)
)
AfterCommit = Callable[[CloudEvent], Awaitable[None]]


class ConsumerRunner:
    """Pulls one durable consumer and applies its reactions through the inbox."""

    def __init__(
        self,
        factory: async_sessionmaker[AsyncSession],
        js: JetStreamContext,
        subscription: Subscription,
        *,
        namespace: str = "",
        batch_size: int = 100,
        ack_wait: float = 30.0,
        max_deliver: int = 5,
        nak_delay: float = 1.0,
        after_commit: AfterCommit | None = None,
    ) -> None:
        self._factory = factory
        self._js = js
        self.subscription = subscription
        self._namespace = namespace
        self._batch = batch_size
        self._ack_wait = ack_wait
        self._max_deliver = max_deliver
        self._nak_delay = nak_delay
        self._after_commit = after_commit
        by_type: dict[str, list[Reaction]] = {}
        for reaction in subscription.reactions:
            by_type.setdefault(reaction.spec.type, []).append(reaction)
        self._by_type: Mapping[str, list[Reaction]] = by_type
        self._families = {r.spec.family for r in subscription.reactions}
        self.counts: dict[str, int] = {"processed": 0, "duplicate": 0, "dead_letter": 0, "retry": 0, "skipped": 0}
        self.bound = False  # the durable consumer is declared and this runner pulls from it

    @property
    def name(self) -> str:
        return self.subscription.durable

    async def declare(self) -> None:
        await ensure_consumer(
            self._js,
            self.subscription.decl,
            namespace=self._namespace,
            ack_wait=self._ack_wait,
            max_deliver=self._max_deliver,
        )

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.declare()
                sub = await self._js.pull_subscribe_bind(
                    self.name, stream=stream_name(self.subscription.producer, self._namespace)
                )
                self.bound = True
                break
            except StreamMissing as exc:  # the producer's worker has not started yet
                log.info("consumer.waiting_for_stream", consumer=self.name, detail=str(exc))
                await sleep_or_stop(stop, 1.0)
            except Exception as exc:  # NATS not there yet
                log.warning("consumer.bind_failed", consumer=self.name, error=repr(exc))
                await sleep_or_stop(stop, 1.0)
        else:
            return
        while not stop.is_set():
            try:
                messages = await sub.fetch(self._batch, timeout=1.0)
            except (NatsTimeoutError, TimeoutError):
                continue
            except Exception as exc:
                log.warning("consumer.fetch_failed", consumer=self.name, error=repr(exc))
                await sleep_or_stop(stop, 0.5)
                continue
            for msg in messages:
                await self.handle(msg)

    async def handle(self, msg: Msg) -> Outcome:
        deliveries = msg.metadata.num_delivered if msg.metadata else 1
        try:
            envelope, reactions, payload = self._decode(msg)
        except NotForUs:
            await msg.ack()
            self.counts["skipped"] += 1
            return "skipped"
        except PermanentError as exc:
            return await self._dead_letter(msg, None, str(exc), deliveries)
        correlation_id_var.set(envelope.correlationid or envelope.id)
        causation_id_var.set(envelope.id)
        try:
            outcome = await self._apply(envelope, reactions, payload)
        except (PermanentError, ValidationError) as exc:
            return await self._dead_letter(msg, envelope, f"permanent: {exc}", deliveries)
        except Exception as exc:
            if deliveries >= self._max_deliver:
                reason = f"deliveries exhausted ({deliveries}): {exc!r}"
                return await self._dead_letter(msg, envelope, reason, deliveries)
            delay = self._nak_delay * (2 ** (deliveries - 1))
            log.warning(
                "consumer.retry", consumer=self.name, event_id=envelope.id, error=repr(exc), delay=delay
            )
            self.counts["retry"] += 1
            await _quietly(msg.nak(delay=delay))
            return "retry"
        if self._after_commit is not None:
            await self._after_commit(envelope)
        await msg.ack()
        self.counts[outcome] += 1
        return outcome

    def _decode(self, msg: Msg) -> tuple[CloudEvent, list[Reaction], Any]:
        try:
            raw = json.loads(msg.data)
            envelope = CloudEvent.model_validate(raw)
        except (ValueError, ValidationError) as exc:
            raise PermanentError(f"not a CloudEvent: {exc}") from exc
        if envelope.specversion != "1.0":
            raise PermanentError(f"unsupported specversion {envelope.specversion}")
        reactions = self._by_type.get(envelope.type)
        if not reactions:
            try:
                service, aggregate, fact, version = parse_type(envelope.type)
            except ValueError as exc:
                raise PermanentError(str(exc)) from exc
            family = envelope.type.rsplit(".", 1)[0]
            if family in self._families:
                raise PermanentError(f"unknown major version v{version} of {family}")
            raise NotForUs(envelope.type)
        try:
            payload = reactions[0].spec.parse(envelope.data)
        except ValidationError as exc:
            raise PermanentError(f"payload does not match {envelope.type}: {exc}") from exc
        return envelope, reactions, payload

    async def _apply(self, envelope: CloudEvent, reactions: list[Reaction], payload: Any) -> Outcome:
        async with self._factory() as session, session.begin():
            inserted = await session.execute(
                _RECORD_IN_INBOX, {"consumer": self.name, "event_id": envelope.id, "event_type": envelope.type}
            )
            if inserted.first() is None:
                return "duplicate"
            for reaction in reactions:
                await reaction.handler(session, envelope, payload)
        return "processed"

    async def _dead_letter(
        self, msg: Msg, envelope: CloudEvent | None, reason: str, deliveries: int
    ) -> Outcome:
        log.error(
            "consumer.dead_letter",
            consumer=self.name,
            event_id=envelope.id if envelope else None,
            subject=msg.subject,
            reason=reason[:1000],
        )
        async with self._factory() as session, session.begin():
            await session.execute(
                insert(dead_letters).values(
                    consumer=self.name,
                    event_id=envelope.id if envelope else None,
                    event_type=envelope.type if envelope else None,
                    subject=msg.subject,
                    raw=msg.data.decode("utf-8", errors="replace"),
                    reason=reason[:4000],
                    deliveries=deliveries,
                )
            )
        await _quietly(msg.term())
        self.counts["dead_letter"] += 1
        return "dead_letter"

    async def replay(self, raw: str) -> Outcome:
        """Apply a stored event again (operator replay of a dead letter) through the same inbox."""
        try:
            envelope = CloudEvent.model_validate(json.loads(raw))
        except (ValueError, ValidationError) as exc:
            raise PermanentError(f"not a CloudEvent: {exc}") from exc
        reactions = self._by_type.get(envelope.type)
        if not reactions:
            raise PermanentError(f"no handler for {envelope.type}")
        payload = reactions[0].spec.parse(envelope.data)
        return await self._apply(envelope, reactions, payload)


async def consumer_lag(js: JetStreamContext, producer: str, durable: str, namespace: str = "") -> int:
    info = await js.consumer_info(stream_name(producer, namespace), durable)
    return int(info.num_pending or 0) + int(info.num_ack_pending or 0)


async def _quietly(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except Exception as exc:  # the broker forgets unacked messages on its own after ack_wait
        log.warning("consumer.ack_failed", error=repr(exc))


