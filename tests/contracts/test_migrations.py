"""Every service's Alembic history against a real PostgreSQL.

- The history is one line, and no revision builds tables from today's ``Table`` objects.
- An empty database upgraded to head has exactly the service's metadata (Alembic's autogenerate
  comparison: any difference fails), with the shared triggers in place.
- Upgrading one revision at a time with rows present keeps every row of every earlier step.
- Downgrading one revision at a time undoes each step (every revision here defines a downgrade), and the
  database upgrades again to the same schema.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from sihua_shared.migrate import downgrade, history, schema_differences, upgrade
from sihua_shared.settings import SERVICES
from sihua_shared.testing.harness import Servers

ROOT = Path(__file__).resolve().parents[2]
SEEDED_ROWS = 2


def _versions(service: str) -> list[Path]:
    return sorted(p for p in (ROOT / "services" / service / "src" / service / "migrations" / "versions").glob("*.py")
                  if p.name != "__init__.py")


@pytest.mark.parametrize("service", SERVICES)
def test_history_is_one_frozen_line(service: str) -> None:
    revisions = history(service)
    assert revisions[0] == "0001" and len(revisions) == len(_versions(service))
    for path in _versions(service):
        source = path.read_text(encoding="utf-8")
        # today's tables would make an old step create tomorrow's columns
        assert not re.search(r"\.create\(|\.drop\(|create_all|drop_all|\.adapters\.", source), path.name


def test_shared_bodies_are_frozen() -> None:
    """common_vN and the read-model bodies spell out their tables; today's Table objects never reach them."""
    import inspect

    from sihua_shared import migrations, readmodels

    bodies = [inspect.getsource(migrations)] + [
        inspect.getsource(fn) for name, fn in vars(readmodels).items() if name.startswith("registry_readmodels_v")
    ]
    for source in bodies:
        assert not re.search(r"\.create\(|\.drop\(|create_all|drop_all|\b(?!create_table|drop_table)\w+_table\(|from \.tables", source)


async def _database_state(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows, by table name (the migration bookkeeping aside)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            live = await _reflect(conn)
            state = {}
            for table in live.sorted_tables:
                if table.name != "alembic_version":
                    found = (await conn.execute(sa.select(table))).mappings().all()
                    state[table.name] = sorted((dict(row) for row in found), key=repr)
            return state
    finally:
        await engine.dispose()


async def _reflect(conn: AsyncConnection) -> sa.MetaData:
    live = sa.MetaData()
    await conn.run_sync(live.reflect)
    return live


def _value(column: sa.Column[Any], k: int) -> Any:
    """Row k's value for a column, chosen from the column's type; distinct per row for unique keys."""
    kind = column.type
    if isinstance(kind, sa.Uuid | postgresql.UUID):
        return uuid.UUID(int=k + 1)
    if isinstance(kind, sa.Boolean):
        return k == 0
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return Decimal(k + 1)
    if isinstance(kind, sa.Integer):
        return k + 1
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 1, k + 1, 8, tzinfo=UTC)
    if isinstance(kind, sa.Date):
        return date(2026, 1, k + 1)
    if isinstance(kind, sa.JSON | postgresql.JSONB):
        return {"row": k}
    if isinstance(kind, postgresql.TSVECTOR):
        return f"'row{k}'"
    if isinstance(kind, sa.ARRAY):
        return [f"{column.name}-{k}"[-20:]]
    if isinstance(kind, sa.String):
        text = f"{column.name}-{k}"
        return text[-kind.length:] if kind.length else text
    raise AssertionError(f"no seed value for {column.table.name}.{column.name} ({kind!r})")


async def _seed(conn: AsyncConnection, tables: list[sa.Table], seeded: dict[str, list[dict[str, Any]]]) -> None:
    """Two rows in each new table; a foreign key takes a row of its target (another one for a second key to
    the same table, so that "not itself" checks hold)."""
    for table in tables:
        rows = []
        for k in range(SEEDED_ROWS):
            row: dict[str, Any] = {}
            targets_used: dict[str, int] = {}
            for column in table.columns:
                if column.identity is not None or column.computed is not None:
                    continue
                fks = list(column.foreign_keys)
                if fks and fks[0].column.table.name == table.name:
                    row[column.name] = None  # a row pointing to an earlier one of its own table: none yet
                elif fks:
                    target = fks[0].column
                    nth = targets_used.get(target.table.name, 0)
                    targets_used[target.table.name] = nth + 1
                    row[column.name] = seeded[target.table.name][(k + nth) % SEEDED_ROWS][target.name]
                else:
                    row[column.name] = _value(column, k)
            rows.append(row)
        await conn.execute(table.insert(), rows)
        seeded[table.name] = [dict(r) for r in (await conn.execute(sa.select(table))).mappings().all()]


@pytest.mark.parametrize("service", SERVICES)
async def test_fresh_upgrade_matches_metadata(servers: Servers, service: str) -> None:
    url = await servers.empty_database(f"{service}_fresh")
    await asyncio.to_thread(upgrade, service, url)
    assert await asyncio.to_thread(schema_differences, service, url) == []
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            triggers = (await conn.execute(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))).scalars().all()
            assert sorted(triggers) == ["audit_append_only", "outbox_notify"]
            await conn.execute(sa.text(
                "INSERT INTO audit_log (actor_id, actor_roles, action, entity_type, entity_id) VALUES ('a', '[]', 'x', 'e', '1')"
            ))
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                await conn.execute(sa.text("UPDATE audit_log SET action = 'y'"))
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_step_by_step_upgrade_keeps_rows_then_downgrades(servers: Servers, service: str) -> None:
    url = await servers.empty_database(f"{service}_steps")
    engine = create_async_engine(url)
    seeded: dict[str, list[dict[str, Any]]] = {}
    tables_at: list[set[str]] = [set()]
    try:
        for revision in history(service):
            await asyncio.to_thread(upgrade, service, url, revision)
            held = await _database_state(url)
            for name, rows in seeded.items():  # what earlier steps stored is still there, column by column
                kept = sorted(({c: row[c] for c in rows[0]} for row in held[name]), key=repr)
                assert kept == sorted(rows, key=repr), (revision, name)
            async with engine.begin() as conn:
                live = await _reflect(conn)
                new = [t for t in live.sorted_tables if t.name != "alembic_version" and t.name not in seeded]
                await _seed(conn, new, seeded)
            tables_at.append(set(held) - {"alembic_version"})
        assert set(seeded) == tables_at[-1]
        assert await asyncio.to_thread(schema_differences, service, url) == []

        for revision, expected in zip(["base", *history(service)[:-1]][::-1], tables_at[:-1][::-1], strict=True):
            await asyncio.to_thread(downgrade, service, url, "-1")
            assert set(await _database_state(url)) == expected, revision
        await asyncio.to_thread(upgrade, service, url)
        assert await asyncio.to_thread(schema_differences, service, url) == []
    finally:
        await engine.dispose()
