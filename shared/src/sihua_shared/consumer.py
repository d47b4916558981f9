"""The consumer runner with the inbox.

A fetched batch is applied in one transaction: the inbox rows ``(consumer, event id)`` of its events are
written together into ``processed_messages``, each event's handlers run in a savepoint of their own, and the
messages are acked only after the commit. A repeated delivery finds the inbox row and is only acked.
Failures are classified: permanent ones (a payload that can never be processed, an unknown major version)
roll back their savepoint alone, go to ``dead_letters`` with the reason and are terminated; transient ones are
``nak``-ed with a delay together with the later events of the same aggregate in the batch (so order per
aggregate survives), and dead-lettered when their deliveries are exhausted.
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
from sqlalchemy import bindparam, delete, insert
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


Outcome = str  # "processed" | "duplicate" | "dead_letter" | "retry" | "skipped"

_RECORD_IN_INBOX = (
    pg_insert(processed_messages)
    .values(consumer=bindparam("consumer"), event_id=bindparam("event_id"), event_type=bindparam("event_type"))
    .on_conflict_do_nothing()
    .returning(processed_messages.c.event_id)
)
AfterCommit = Callable[[CloudEvent], Awaitable[None]]


class _EventFailed(Exception):
    """A handler failed in a batch applied without savepoints: roll back, and apply it with them."""

    def __init__(self, event_id: str, error: BaseException) -> None:
        super().__init__(event_id)
        self.event_id, self.error = event_id, error


@dataclass
class _Delivery:
    """One message of a batch and what became of it; acted on (ack, nak, term) only after the commit."""

    msg: Msg
    deliveries: int
    envelope: CloudEvent | None = None
    reactions: list[Reaction] = field(default_factory=list)
    payload: Any = None
    outcome: Outcome | None = None
    reason: str = ""  # why it went to dead letters
    delay: float = 0.0  # the nak delay of a retry
    first: bool = True  # the first copy of its event id in the batch

    @property
    def aggregate(self) -> str:
        """What order is kept for: the CloudEvents subject (the aggregate id), else the event alone."""
        assert self.envelope is not None
        return self.envelope.subject or self.envelope.id


class ConsumerRunner:
    """Pulls one durable consumer and applies its reactions through the inbox, a fetched batch at a time.

    A batch is one transaction: the inbox rows of its events are written together, each event's reactions
    run in a savepoint of their own (a poison event rolls back alone and goes to dead letters with its
    reason), and the messages are acked, nak-ed or terminated only after the commit. (A batch is first tried
    without savepoints — two round trips per event saved in the common case — and taken again with them
    as soon as one handler fails.) A transient failure
    naks the event and every later event of the same aggregate in the batch, so none overtakes it. When
    the transaction as a whole fails, the batch is taken again one event at a time.
    """

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
        self.batches = 0  # transactions committed for fetched batches
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
            await self.handle_batch(messages)

    async def handle(self, msg: Msg) -> Outcome:
        """Apply one message (a batch of one)."""
        return (await self.handle_batch([msg]))[0]

    async def handle_batch(self, msgs: list[Msg]) -> list[Outcome]:
        """Apply fetched messages in one transaction; then ack, nak or terminate each. Returns their outcomes."""
        if not msgs:
            return []
        batch = [self._prepare(msg) for msg in msgs]
        try:
            try:  # the common case first: no event fails, and no savepoint is paid for
                async with self._factory() as session, session.begin():
                    await self._apply_batch(session, batch, isolate=len(batch) == 1)
            except _EventFailed as failed:  # rolled back: again, each event in a savepoint of its own
                batch = [self._prepare(msg) for msg in msgs]
                async with self._factory() as session, session.begin():
                    await self._apply_batch(session, batch, isolate=True, failed={failed.event_id: failed.error})
        except Exception as exc:  # the transaction as a whole failed (database away, commit failed): no effects
            if len(batch) == 1:
                await self._whole_failure(batch[0], exc)
            else:
                log.warning("consumer.batch_failed", consumer=self.name, size=len(batch), error=repr(exc))
                return await self._one_by_one(msgs)
        else:
            self.batches += 1
        await self._settle(batch)
        return [d.outcome or "retry" for d in batch]

    async def _one_by_one(self, msgs: list[Msg]) -> list[Outcome]:
        """A failed batch again, one message per transaction; a failed event still holds its aggregate back."""
        outcomes: list[Outcome] = []
        held: dict[str, float] = {}
        for msg in msgs:
            delivery = self._prepare(msg)
            if delivery.outcome is None and delivery.aggregate in held:
                self._hold_back(delivery, held[delivery.aggregate])
                if delivery.outcome == "dead_letter":
                    await self._dead_letter_alone(delivery)
                await self._settle([delivery])
                outcomes.append(delivery.outcome or "retry")
                continue
            outcome = (await self.handle_batch([msg]))[0]
            if outcome == "retry" and delivery.outcome is None:
                held[delivery.aggregate] = self._retry_delay(delivery.deliveries)
            outcomes.append(outcome)
        return outcomes

    def _prepare(self, msg: Msg) -> _Delivery:
        delivery = _Delivery(msg, msg.metadata.num_delivered if msg.metadata else 1)
        try:
            delivery.envelope, delivery.reactions, delivery.payload = self._decode(msg)
        except NotForUs:
            delivery.outcome = "skipped"
        except PermanentError as exc:
            delivery.outcome, delivery.reason = "dead_letter", str(exc)
        return delivery

    def _retry_delay(self, deliveries: int) -> float:
        return float(self._nak_delay * (2 ** (deliveries - 1)))

    def _retry_or_exhaust(self, delivery: _Delivery, exc: BaseException) -> None:
        if delivery.deliveries >= self._max_deliver:
            delivery.outcome = "dead_letter"
            delivery.reason = f"deliveries exhausted ({delivery.deliveries}): {exc!r}"
            return
        delivery.outcome, delivery.delay = "retry", self._retry_delay(delivery.deliveries)
        assert delivery.envelope is not None
        log.warning(
            "consumer.retry", consumer=self.name, event_id=delivery.envelope.id, error=repr(exc), delay=delivery.delay
        )

    def _hold_back(self, delivery: _Delivery, delay: float) -> None:
        """A later event of an aggregate whose earlier event failed: not applied, nak-ed to come after it —
        unless this was its last delivery, when it goes to dead letters rather than being dropped."""
        if delivery.deliveries >= self._max_deliver:
            delivery.outcome = "dead_letter"
            delivery.reason = (
                f"deliveries exhausted ({delivery.deliveries}) while held back behind an earlier event of "
                f"aggregate {delivery.aggregate} that failed"
            )
            return
        delivery.outcome, delivery.delay = "retry", delay

    async def _apply_batch(
        self,
        session: AsyncSession,
        batch: list[_Delivery],
        *,
        isolate: bool,
        failed: Mapping[str, BaseException] | None = None,
    ) -> None:
        """Record the inbox rows, run the handlers, drop the inbox rows of events not applied and write the
        dead letters. With ``isolate`` each event's handlers run in a savepoint; without, the first failing
        handler aborts the transaction (``_EventFailed``) so that the batch is taken again with savepoints,
        the event that failed (in ``failed``) keeping the failure it met rather than being run again."""
        failed = failed or {}
        todo = [d for d in batch if d.outcome is None]
        first: dict[str, _Delivery] = {}
        for delivery in todo:
            assert delivery.envelope is not None
            if delivery.envelope.id in first:
                delivery.first = False
            else:
                first[delivery.envelope.id] = delivery
        new: set[str] = set()
        if first:
            inserted = await session.execute(
                pg_insert(processed_messages)
                .values(
                    [
                        {"consumer": self.name, "event_id": d.envelope.id, "event_type": d.envelope.type}
                        for d in first.values()
                        if d.envelope is not None
                    ]
                )
                .on_conflict_do_nothing()
                .returning(processed_messages.c.event_id)
            )
            new = {row[0] for row in inserted}
        held: dict[str, float] = {}  # aggregate -> the nak delay of its failed event
        for delivery in todo:
            envelope = delivery.envelope
            assert envelope is not None
            if not delivery.first:  # another copy of an event earlier in this batch: it shares that fate
                original = first[envelope.id]
                if original.outcome == "retry":
                    self._hold_back(delivery, original.delay)
                else:
                    delivery.outcome = "duplicate"
                continue
            if envelope.id not in new:
                delivery.outcome = "duplicate"
                continue
            if delivery.aggregate in held:
                self._hold_back(delivery, held[delivery.aggregate])
                continue
            correlation_id_var.set(envelope.correlationid or envelope.id)
            causation_id_var.set(envelope.id)
            if not isolate:
                try:
                    for reaction in delivery.reactions:
                        await reaction.handler(session, envelope, delivery.payload)
                except Exception as exc:
                    raise _EventFailed(envelope.id, exc) from exc
                delivery.outcome = "processed"
                continue
            try:
                if envelope.id in failed:
                    raise failed[envelope.id]
                async with session.begin_nested():
                    for reaction in delivery.reactions:
                        await reaction.handler(session, envelope, delivery.payload)
            except (PermanentError, ValidationError) as exc:
                delivery.outcome, delivery.reason = "dead_letter", f"permanent: {exc}"
            except Exception as exc:
                self._retry_or_exhaust(delivery, exc)
                if delivery.outcome == "retry":
                    held[delivery.aggregate] = delivery.delay
            else:
                delivery.outcome = "processed"
        undone = [
            d.envelope.id for d in todo if d.first and d.envelope is not None and d.envelope.id in new
            and d.outcome != "processed"
        ]
        if undone:  # their inbox rows go with their effects: a redelivery or a replay applies them
            await session.execute(
                delete(processed_messages).where(
                    processed_messages.c.consumer == self.name, processed_messages.c.event_id.in_(undone)
                )
            )
        letters = [d for d in batch if d.outcome == "dead_letter"]
        if letters:
            await session.execute(insert(dead_letters), [self._letter_row(d) for d in letters])

    def _letter_row(self, delivery: _Delivery) -> dict[str, Any]:
        envelope, msg = delivery.envelope, delivery.msg
        return {
            "consumer": self.name,
            "event_id": envelope.id if envelope else None,
            "event_type": envelope.type if envelope else None,
            "subject": msg.subject,
            "raw": msg.data.decode("utf-8", errors="replace"),
            "reason": delivery.reason[:4000],
            "deliveries": delivery.deliveries,
        }

    async def _whole_failure(self, delivery: _Delivery, exc: BaseException) -> None:
        """A lone message whose transaction failed: nak it, or dead-letter it when deliveries ran out."""
        if delivery.outcome == "skipped":
            return
        if delivery.outcome == "dead_letter":  # undecodable: its dead letter alone (or a retry if that fails)
            await self._dead_letter_alone(delivery)
            return
        self._retry_or_exhaust(delivery, exc)
        if delivery.outcome == "dead_letter":
            await self._dead_letter_alone(delivery)

    async def _dead_letter_alone(self, delivery: _Delivery) -> None:
        try:
            async with self._factory() as session, session.begin():
                await session.execute(insert(dead_letters), [self._letter_row(delivery)])
        except Exception as exc:  # not even that: leave it to the broker's redelivery
            log.warning("consumer.dead_letter_failed", consumer=self.name, error=repr(exc))
            delivery.outcome, delivery.delay = "retry", self._retry_delay(delivery.deliveries)

    async def _settle(self, batch: list[_Delivery]) -> None:
        """After the commit: tell the broker what became of each message."""
        for delivery in batch:
            outcome, msg = delivery.outcome or "retry", delivery.msg
            if outcome in ("processed", "duplicate"):
                if self._after_commit is not None and delivery.envelope is not None:
                    await self._after_commit(delivery.envelope)
                await _quietly(msg.ack())
            elif outcome == "skipped":
                await _quietly(msg.ack())
            elif outcome == "dead_letter":
                envelope = delivery.envelope
                log.error(
                    "consumer.dead_letter",
                    consumer=self.name,
                    event_id=envelope.id if envelope else None,
                    subject=msg.subject,
                    reason=delivery.reason[:1000],
                )
                await _quietly(msg.term())
            else:
                await _quietly(msg.nak(delay=delivery.delay or self._retry_delay(delivery.deliveries)))
            self.counts[outcome] += 1

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


