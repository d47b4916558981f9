"""Bindings of external subjects (an identity provider's ``iss`` and ``sub``) to registry accounts (token exchange)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, String, Table, UniqueConstraint, func

from .tables import metadata

external_identities = Table(
    "external_identities",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("issuer", String(500), nullable=False),
    Column("subject", String(255), nullable=False),
    # One account per subject and organisation: a person who acts for two enterprises holds two accounts.
    Column("organisation_id", String(36), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("account_id", String(36), ForeignKey("accounts.id"), nullable=False, unique=True),
    Column("uscc", String(18), nullable=False),
    # What the issuer last said about the person (kept here, not on the account: the account has no password to reset).
    Column("claimed_name", String(200)),
    Column("claimed_email", String(320)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_exchanged_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("issuer", "subject", "organisation_id", name="uq_external_identity"),
)
