"""A service's worker, as ``python -m <service>.worker`` runs it, that also reports for ``bench.backbone``: one
line ``R <event id> <time>`` on stdout after each reaction's commit (``time.perf_counter()``, the system-wide
monotonic clock, so comparable with the bench's commit times) and ``B <transactions>`` every half second.

    python -m bench.reacting_worker '<Settings as JSON>' [--no-consumers]
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import signal
import sys
import time

from sihua_shared.events import CloudEvent
from sihua_shared.logging import configure_logging
from sihua_shared.service import ServiceSpec
from sihua_shared.settings import Settings
from sihua_shared.worker import Worker


async def _main(settings: Settings, consumers: bool) -> None:
    spec: ServiceSpec = importlib.import_module(f"{settings.service}.spec").SPEC
    if not consumers:
        spec = dataclasses.replace(spec, subscriptions=[])
    out = sys.stdout

    async def reacted(envelope: CloudEvent) -> None:
        out.write(f"R {envelope.id} {time.perf_counter()}\n")
        out.flush()

    worker = Worker(spec, settings, after_commit=reacted if consumers else None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def report() -> None:
        while not stop.is_set():
            await asyncio.sleep(0.5)
            out.write(f"B {sum(r.batches for r in worker.runners)}\n")
            out.flush()

    reporter = asyncio.create_task(report())
    try:
        await worker.run(stop)
    finally:
        reporter.cancel()


def main() -> int:
    settings = Settings(**json.loads(sys.argv[1]))
    configure_logging(settings.log_level, "console", service=settings.service)
    asyncio.run(_main(settings, "--no-consumers" not in sys.argv[2:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
