"""``python -m sihua_shared.demo``: load the demo once (``make run`` calls it after starting every api and worker).

The stages run in the programme's order on business dates in the past; each is recorded in
``<data>/demo/loaded.json`` when done, so nothing is loaded twice. The demo accounts' passwords are generated when the
accounts are created and printed this once: a start that finds the accounts loads nothing more.
"""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx

from ..clock import BusinessClock
from ..settings import SERVICES, load_settings
from .kit import Demo, Marker

END_OF_PROGRAMME = date(2026, 12, 31)


def _part(service: str) -> Any:
    return importlib.import_module(f"{service}.demo")


def stages(now: date) -> list[tuple[str, Callable[[Demo], Awaitable[None]]]]:
    """The story, stage by stage (name, step). The first call and the first project are history; the second call's
    publicity began three weeks before ``now`` (so a newcomer finalises it today) and the second project runs."""
    registry, diagnosis, catalog, funding, evaluation = (_part(s) for s in ("registry", "diagnosis", "catalog", "funding",
                                                                             "evaluation"))
    recent = min(now, END_OF_PROGRAMME) - timedelta(days=21)  # publicity: five working days, even across a holiday
    return [
        ("registry: experts, pilot pool, titles granted directly, a cluster", registry.setup),
        # two parts side by side (each service's part pins its own api's clock): the registry's first call, and the
        # catalog's products followed by diagnosis's assessments — early, so that the diagnosis worker renders their
        # PDF reports while the other stages load
        ("registry: first call through review and publicity to its titles; catalog: two products admitted, an "
         "adaptation record; diagnosis: consents, two diagnosis projects, on-site baseline and post-transformation "
         "assessments", lambda d: _together(registry.first_call(d), _then(
             diagnosis.edition_in_force(d, date(2025, 4, 1)), lambda: catalog.products(d, date(2025, 4, 7)),
             lambda: diagnosis.consents(d, date(2025, 5, 6)), lambda: diagnosis.baseline(d, date(2025, 5, 6)),
             lambda: diagnosis.project(d, "furniture", date(2025, 5, 15)),
             lambda: diagnosis.project(d, "luggage", date(2025, 5, 15)),
             lambda: diagnosis.assess_for_project(d, "luggage", "baseline", diagnosis.LEVEL1, date(2025, 5, 20)),
             lambda: diagnosis.assess_for_project(d, "furniture", "post_transformation", diagnosis.LEVEL2,
                                                  date(2025, 9, 20))))),
        ("funding: the first project from contract to completion", lambda d: funding.first_project(d, date(2025, 6, 2))),
        ("catalog: recommendations; a group purchase delivered", lambda d: _then(
            catalog.recommendations(d), lambda: catalog.group_purchase(d, date(2025, 5, 12)))),
        ("funding: acceptance, subsidy approved by two, paid, reconciled", lambda d: funding.accepted_paid(d, date(2025, 10, 9))),
        ("funding: the second project in progress", lambda d: funding.second_project(d, recent - timedelta(days=40))),
        ("registry: the second call in publicity with an open objection", lambda d: registry.second_call(d, recent)),
        ("diagnosis: both diagnosis projects completed with their reports", lambda d: diagnosis.complete_projects(
            d, date(2025, 11, 10), {"luggage": "计划排程上云\n设备联网", "furniture": "排产系统上云\n车间看板\n设备联网"})),
        ("evaluation: surveys answered", lambda d: evaluation.surveys(d, date(2025, 11, 17))),
        ("evaluation: cycle graded, one rectification, a revoked title, closed; KPIs", lambda d: evaluation.cycle(
            d, 2025, date(2026, 1, 5))),
    ]


async def _together(*parts: Awaitable[None]) -> None:
    await asyncio.gather(*parts)


async def _then(first: Awaitable[None], *then: Callable[[], Awaitable[None]]) -> None:
    await first
    for step in then:
        await step()


async def ready(services: tuple[str, ...] = SERVICES, timeout: float = 180.0) -> None:
    """Wait until the running apis answer ``/readyz`` (the loader starts beside them)."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        for service in services:
            url = f"http://127.0.0.1:{load_settings(service).port}/readyz"
            while True:
                try:
                    if (await client.get(url)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} not ready after {timeout:.0f}s")
                await asyncio.sleep(0.2)


async def load() -> int:
    settings = load_settings("registry")
    registry = _part("registry")
    marker = Marker(settings.data_dir)
    existing, created = await registry.load_accounts()
    if not created:
        print(f"[sihua] demo data already loaded ({existing} organisations, {len(marker.stages)} stages); nothing loaded")
        return 0
    try:
        _part("diagnosis").write_request_bodies(settings.data_dir / "demo")
        now = BusinessClock.from_settings(settings).today()
        passwords = {username: password for username, _, password in created}
        # the in-process apis need the registry's keys; they start while the other services still start
        await ready(("registry",))
        async with Demo(settings.data_dir, passwords) as demo:
            for username in passwords:  # signed in once each (argon2), meanwhile too
                await demo.token(username)
            await ready()
            started = time.monotonic()
            for name, step in stages(now):
                began = time.monotonic()
                try:
                    await step(demo)
                except Exception as error:  # noqa: BLE001 — name the stage, keep the system running
                    print(f"[sihua] demo stage failed: {name}: {error}")
                    print("[sihua] the demo stops here (`make reset` wipes the data to load it again)")
                    return 1
                marker.done(name, demo.ids)
                print(f"[sihua] demo: {name} ({time.monotonic() - began:.1f} s)", flush=True)
        print(f"[sihua] demo data loaded: {len(marker.stages)} stages in {time.monotonic() - started:.1f} s "
              f"(ids in {marker.path})")
        return 0
    finally:
        registry.print_passwords(created)


if __name__ == "__main__":
    raise SystemExit(asyncio.run(load()))
