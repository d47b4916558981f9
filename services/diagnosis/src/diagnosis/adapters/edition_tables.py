"""Editions of the index as stored data, and the active version per edition id."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, Text, func

from .tables import metadata

# One row per content: the version id is ``<edition id>@<first 16 hex of the content hash>``, so the same
# YAML (comments and layout aside) always lands on the same row. ``used`` is set when an assessment scored
# with the version is submitted; from then on the edition id is frozen (a correction needs a new id).
editions = Table(
    "editions",
    metadata,
    Column("version_id", String(120), primary_key=True),
    Column("edition_id", String(100), nullable=False, index=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("title", String(300), nullable=False),
    Column("yaml_text", Text, nullable=False),
    Column("shipped", Boolean, nullable=False, server_default="false"),
    Column("used", Boolean, nullable=False, server_default="false"),
    Column("uploaded_by", String(100), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The version new assessments of an edition id are pinned to (city officers switch it).
active_editions = Table(
    "active_editions",
    metadata,
    Column("edition_id", String(100), primary_key=True),
    Column("version_id", String(120), nullable=False),
    Column("activated_by", String(100), nullable=False),
    Column("activated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # raised on every activation: the aggregate version of the ``edition activated`` fact
    Column("version", Integer, nullable=False, server_default="1"),
)
