"""Demo data for ``make run``: a few organisations of the pilot and accounts for people, loaded once.

The demo accounts get generated passwords, printed once in a small table when they are created.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.audit import SYSTEM
from sihua_shared.clock import BusinessClock
from sihua_shared.db import create_engine, session_factory
from sihua_shared.jurisdiction import load_jurisdiction
from sihua_shared.settings import load_settings

from .adapters.account_tables import accounts
from .adapters.tables import organisations
from .application.accounts import OPERATOR, create_account
from .application.credentials import generate_password
from .application.organisations import register_organisation

DEMO_ORGANISATIONS: list[dict[str, Any]] = [
    {"uscc": "91440101MA0000001Q", "name": "广州示范定制家居有限公司", "kind": "enterprise", "district": "baiyun",
     "sector": "custom_furniture", "industry_code": "C2110", "employees": 85, "revenue_wan": "4200.00"},
    {"uscc": "91440101MA0000002U", "name": "广州示范箱包制造有限公司", "kind": "enterprise", "district": "huadu",
     "sector": "luggage", "industry_code": "C1923", "employees": 36, "revenue_wan": "860.50"},
    {"uscc": "91440101MA0000003Y", "name": "广州工业互联网示范平台有限公司", "kind": "platform", "district": "huangpu",
     "sector": None, "industry_code": "I6450"},
]


# (username, display name, roles, district, the USCC of the organisation the account belongs to)
DEMO_ACCOUNTS: list[tuple[str, str, list[str], str | None, str | None]] = [
    ("demo.city", "市工业和信息化局（示范）", ["city_officer"], None, None),
    ("demo.huangpu", "黄埔区工信局（示范）", ["district_officer"], "huangpu", None),
    ("demo.furniture", "定制家居企业用户（示范）", ["enterprise"], None, "91440101MA0000001Q"),
    ("demo.luggage", "箱包企业用户（示范）", ["enterprise"], None, "91440101MA0000002U"),
    ("demo.platform", "服务平台用户（示范）", ["provider"], None, "91440101MA0000003Y"),
    ("demo.expert1", "评审专家一（示范）", ["expert"], None, None),
    ("demo.expert2", "评审专家二（示范）", ["expert"], None, None),
]


async def load_demo_accounts(session: AsyncSession) -> list[tuple[str, str, str]]:
    """Create the demo accounts unless they exist; answers (username, roles, password) of those created."""
    if (await session.execute(select(accounts.c.id).where(accounts.c.username == DEMO_ACCOUNTS[0][0]))).first():
        return []
    by_uscc = {uscc: org_id for uscc, org_id in await session.execute(select(organisations.c.uscc, organisations.c.id))}
    created = []
    for username, display_name, roles, district, uscc in DEMO_ACCOUNTS:
        if uscc and uscc not in by_uscc:
            continue  # a database whose organisations were not the demo's
        password = generate_password()
        profile = {
            "username": username,
            "display_name": display_name,
            "email": f"{username}@sihua.local",
            "roles": roles,
            "district": district,
            "organisation_id": by_uscc[uscc] if uscc else None,
        }
        await create_account(session, OPERATOR, profile, password)
        created.append((username, ",".join(roles), password))
    return created


def print_passwords(created: list[tuple[str, str, str]]) -> None:
    print("[sihua] demo accounts (passwords are shown this once / 密码仅显示这一次):")
    print(f"[sihua]   {'username':<16} {'roles':<18} password")
    for username, roles, password in created:
        print(f"[sihua]   {username:<16} {roles:<18} {password}")


async def load() -> int:
    settings = load_settings("registry")
    engine = create_engine(settings.database_url)
    try:
        # the business clock of the settings: SIHUA_BUSINESS_DATE loads the demo's history on that day
        async with session_factory(engine, clock=BusinessClock.from_settings(settings))() as session, session.begin():
            existing = (await session.execute(select(func.count()).select_from(organisations))).scalar_one()
            if not existing:
                for profile in DEMO_ORGANISATIONS:
                    await register_organisation(session, SYSTEM, profile, jurisdiction=load_jurisdiction(settings.jurisdiction))
            created = await load_demo_accounts(session)
        if existing:
            print(f"[sihua] demo data already loaded ({existing} organisations)")
        else:
            print(f"[sihua] demo data loaded: {len(DEMO_ORGANISATIONS)} organisations")
        if created:
            print_passwords(created)
    finally:
        await engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(load()))
