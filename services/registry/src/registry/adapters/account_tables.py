"""Accounts of people, agencies' client credentials, refresh tokens and password-reset tokens.

Secrets are never stored: passwords and client secrets as argon2 hashes, the opaque refresh and reset
tokens as SHA-256 digests (they are random and long, so a fast digest is enough to look them up).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, func
from sqlalchemy.dialects.postgresql import JSONB

from .tables import metadata

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    # Officials and experts belong to no organisation.
    Column("organisation_id", String(36), ForeignKey("organisations.id"), index=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("email", String(320), nullable=False, index=True),
    Column("password_hash", String(300), nullable=False),
    Column("roles", JSONB, nullable=False),
    Column("district", String(50), index=True),
    Column("active", Boolean, nullable=False, server_default="true"),
    # Throttling lives in the database so that every api replica counts the same failures.
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_login_at", DateTime(timezone=True)),
    Column("password_changed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

api_clients = Table(
    "api_clients",
    metadata,
    Column("client_id", String(100), primary_key=True),
    Column("secret_hash", String(300), nullable=False),
    Column("name", String(200), nullable=False),
    Column("roles", JSONB, nullable=False),
    Column("organisation_id", String(36), ForeignKey("organisations.id")),
    Column("active", Boolean, nullable=False, server_default="true"),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("version", Integer, nullable=False, server_default="1"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False),
    # Every token rotated from one login shares the family: reuse of a rotated token revokes it all.
    Column("family_id", String(36), nullable=False),
    Column("rotated_from", String(36), ForeignKey("refresh_tokens.id")),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_refresh_tokens_family", "family_id"),
    Index("ix_refresh_tokens_account", "account_id"),
)

password_reset_tokens = Table(
    "password_reset_tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Failed logins per client address: a coarse second limit beside the per-account lock.
login_failures_by_address = Table(
    "login_failures_by_address",
    metadata,
    Column("address", String(64), primary_key=True),
    Column("failures", Integer, nullable=False, server_default="0"),
    Column("window_started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
