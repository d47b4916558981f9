"""Apply a service's migrations: ``python -m sihua_shared.migrate <service> [--url URL]``."""

from __future__ import annotations

import argparse
import os

from alembic import command
from alembic.config import Config

from .settings import SERVICES


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{service}:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service: str, url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(service, url), revision)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sihua_shared.migrate")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--url", default="")
    parser.add_argument("--revision", default="heads")
    args = parser.parse_args(argv)
    url = args.url or os.environ.get(f"SIHUA_{args.service.upper()}_DATABASE_URL", "")
    if not url:
        parser.error(f"pass --url or set SIHUA_{args.service.upper()}_DATABASE_URL")
    upgrade(args.service, url, args.revision)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
