"""Account commands for operators: ``python -m registry.accounts create-city-officer --username NAME --email E``.

The first city officer is created here, with a generated password printed once; there is no default
password anywhere. Reads ``SIHUA_REGISTRY_DATABASE_URL`` like the service.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import ValidationError

from sihua_shared.db import create_engine, session_factory
from sihua_shared.errors import DomainError, Problem
from sihua_shared.problems import validation_errors
from sihua_shared.settings import load_settings

from .api.accounts import AccountIn
from .application.accounts import OPERATOR, create_account
from .application.credentials import generate_password


async def create_city_officer(database_url: str, username: str, email: str, display_name: str) -> tuple[str, str]:
    """Create the account; answers its id and its generated password."""
    profile = {"username": username, "email": email, "display_name": display_name, "roles": ["city_officer"]}
    try:
        checked = AccountIn.model_validate(profile).model_dump()
    except ValidationError as exc:
        errors = validation_errors([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])
        raise DomainError("validation_failed", "账号信息无效", "the account is not valid",
                          problems=[Problem(e.field, "validation_failed", e.message_zh, e.message_en) for e in errors]) from exc
    password = generate_password()
    engine = create_engine(database_url, pool_size=1)
    try:
        async with session_factory(engine)() as session, session.begin():
            account = await create_account(session, OPERATOR, checked, password)
    finally:
        await engine.dispose()
    return str(account["id"]), password


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m registry.accounts", description="账号管理 / account commands")
    commands = parser.add_subparsers(dest="command", required=True)
    officer = commands.add_parser("create-city-officer", help="create a city officer with a generated password")
    officer.add_argument("--username", required=True)
    officer.add_argument("--email", required=True)
    officer.add_argument("--display-name", default="")
    args = parser.parse_args(argv)

    settings = load_settings("registry")
    if not settings.database_url:
        parser.error("set SIHUA_REGISTRY_DATABASE_URL")
    try:
        account_id, password = asyncio.run(
            create_city_officer(settings.database_url, args.username, args.email, args.display_name or args.username)
        )
    except DomainError as exc:
        for error in exc.problems:
            print(f"error: {error.field}: {error.message_zh} / {error.message_en}", file=sys.stderr)
        return 1
    print(f"created city officer {args.username.strip().lower()} ({account_id})")
    print(f"password (shown once / 仅显示一次): {password}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
