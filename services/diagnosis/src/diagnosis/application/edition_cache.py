"""Loaded editions, cached per process by version id (loading one takes ~50 ms; a version never changes)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..adapters.edition_tables import editions
from ..domain.index import Edition, load_edition_text

SHIPPED = "index-2024"


@cache
def shipped_text() -> str:
    return resources.files("diagnosis").joinpath("editions", f"{SHIPPED}.yaml").read_text(encoding="utf-8")


@cache
def shipped_edition() -> Edition:
    return load_edition_text(shipped_text())


def database_key(session: AsyncSession) -> str:
    """Which database a session talks to (tests run several in one process)."""
    return str(session.get_bind().engine.url)


class EditionCache:
    """Version id → loaded edition. Safe to share: a version id names one content for ever."""

    def __init__(self) -> None:
        self._loaded: dict[str, Edition] = {}
        self._used: set[tuple[str, str]] = set()

    def remember(self, edition: Edition) -> Edition:
        self._loaded.setdefault(edition.version_id, edition)
        return self._loaded[edition.version_id]

    async def get(self, session: AsyncSession, version_id: str) -> Edition:
        found = self._loaded.get(version_id)
        if found is not None:
            return found
        if version_id == shipped_edition().version_id:
            return self.remember(shipped_edition())
        text = (
            await session.execute(select(editions.c.yaml_text).where(editions.c.version_id == version_id))
        ).scalar_one_or_none()
        if text is None:
            raise LookupError(f"no edition {version_id}")
        return self.remember(load_edition_text(text))

    async def mark_used(self, session: AsyncSession, version_id: str) -> None:
        """Set ``used``. Once a database is seen holding the mark (committed), this process skips the statement;
        a mark set by this transaction is not remembered, since the transaction may still roll back."""
        key = (database_key(session), version_id)
        if key in self._used:
            return
        result = await session.execute(
            update(editions).where(editions.c.version_id == version_id, editions.c.used.is_(False)).values(used=True)
        )
        if getattr(result, "rowcount", 1) == 0:
            self._used.add(key)


EDITIONS = EditionCache()
