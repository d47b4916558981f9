"""Apply a service's migrations: ``python -m sihua_shared.migrate <service> [--url URL]``."""

from __future__ import annotations

import argparse
import os
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

from .settings import SERVICES


def alembic_config(service: str, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", f"{service}:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service: str, url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(service, url), revision)


def downgrade(service: str, url: str, revision: str) -> None:
    command.downgrade(alembic_config(service, url), revision)


def history(service: str) -> list[str]:
    """The service's revision ids, first to head; fails unless the history is one line."""
    script = ScriptDirectory.from_config(alembic_config(service, "postgresql://unused"))
    heads = script.get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"{service}: {len(heads)} heads {sorted(heads)}; the history must be one line")
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def schema_differences(service: str, url: str) -> list[Any]:
    """What Alembic's autogenerate finds between the database and the service's metadata (through the
    service's own ``env.py``, so it sees exactly the tables the service declares); empty when they agree."""
    config = alembic_config(service, url)
    script = ScriptDirectory.from_config(config)
    found: list[Any] = []

    def compare(_heads: Any, context: MigrationContext) -> list[Any]:
        found.extend(compare_metadata(context, context.opts["target_metadata"]))
        return []

    with EnvironmentContext(config, script, fn=compare):
        script.run_env()
    return found


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
