"""Sign-up throttling: attempts per client address and per USCC over a rolling window (revision signup_0001).

Counted in the database, like failed logins, so that every api replica sees the same counts.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, String, Table, func

from .tables import metadata

sign_up_attempts = Table(
    "sign_up_attempts",
    metadata,
    # "address:<ip>" or "uscc:<code>"
    Column("key", String(100), primary_key=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("window_started_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
