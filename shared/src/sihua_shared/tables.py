"""Tables every service has: outbox, inbox (processed_messages), dead letters, audit, idempotency keys.

Each service's database holds its own copy; these Core definitions serve all five.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

common_metadata = MetaData()

outbox = Table(
    "outbox",
    common_metadata,
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("id", Uuid, nullable=False, unique=True),
    Column("type", String(200), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("envelope", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    # The relay's queue: only the unpublished rows, in commit order.
    Index("ix_outbox_unpublished", "seq", postgresql_where=text("published_at IS NULL")),
)

processed_messages = Table(
    "processed_messages",
    common_metadata,
    Column("consumer", String(200), nullable=False),
    Column("event_id", String(100), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("consumer", "event_id"),
)

dead_letters = Table(
    "dead_letters",
    common_metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("consumer", String(200), nullable=False),
    Column("event_id", String(100)),
    Column("event_type", String(200)),
    Column("subject", String(300), nullable=False),
    Column("raw", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("deliveries", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("replayed_at", DateTime(timezone=True)),
    Column("replay_result", Text),
)

audit_log = Table(
    "audit_log",
    common_metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("actor_id", String(100), nullable=False),
    Column("actor_org", String(100)),
    Column("actor_roles", JSONB, nullable=False),
    Column("action", String(200), nullable=False),
    Column("entity_type", String(100), nullable=False),
    Column("entity_id", String(100), nullable=False),
    Column("before", JSONB),
    Column("after", JSONB),
    Column("correlation_id", String(100)),
)

idempotency_keys = Table(
    "idempotency_keys",
    common_metadata,
    Column("scope", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("response_body", Text),
    Column("response_headers", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("scope", "key"),
)
