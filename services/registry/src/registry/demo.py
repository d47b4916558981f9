"""Demo data for ``make run``: a few organisations of the pilot, loaded once.

Accounts for people come with the registry's accounts; their passwords are generated and printed once.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from sihua_shared.audit import SYSTEM
from sihua_shared.db import create_engine, session_factory
from sihua_shared.settings import load_settings

from .adapters.tables import organisations
from .application.organisations import register_organisation

DEMO_ORGANISATIONS: list[dict[str, Any]] = [
    {"uscc": "91440101MA0000001Q", "name": "广州示范定制家居有限公司", "kind": "enterprise", "district": "baiyun",
     "sector": "custom_furniture", "industry_code": "C2110"},
    {"uscc": "91440101MA0000002U", "name": "广州示范箱包制造有限公司", "kind": "enterprise", "district": "huadu",
     "sector": "luggage", "industry_code": "C1923"},
    {"uscc": "91440101MA0000003Y", "name": "广州工业互联网示范平台有限公司", "kind": "platform", "district": "huangpu",
     "sector": None, "industry_code": "I6450"},
]


async def load() -> int:
    settings = load_settings("registry")
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            existing = (await session.execute(select(func.count()).select_from(organisations))).scalar_one()
            if existing:
                print(f"[sihua] demo data already loaded ({existing} organisations)")
                return 0
            for profile in DEMO_ORGANISATIONS:
                await register_organisation(session, SYSTEM, profile)
        print(f"[sihua] demo data loaded: {len(DEMO_ORGANISATIONS)} organisations")
    finally:
        await engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(load()))
