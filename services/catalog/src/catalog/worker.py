"""The catalog worker: ``python -m catalog.worker`` (outbox relay and consumers; ``dead-letters`` commands)."""

from __future__ import annotations

from sihua_shared.settings import load_settings
from sihua_shared.worker import worker_main

from .spec import SPEC


def main(argv: list[str] | None = None) -> int:
    return worker_main(SPEC, load_settings(SPEC.name), argv)


if __name__ == "__main__":
    raise SystemExit(main())
