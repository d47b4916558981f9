"""schemathesis over every operation of every service (handbook §8): no server error, and every answer — its
status, content type and body — as the OpenAPI document declares it. Zero failures is the bar."""

from __future__ import annotations

import importlib

import pytest

from services.registry.tests.selection_kit import DAY
from sihua_shared.settings import SERVICES
from sihua_shared.testing.harness import Stack
from sihua_shared.testing.smtp import smtp_server

from .fuzz import run_schemathesis
from .fuzz_seeds import SEEDERS, bare_seeds

OUTCOMES: list[str] = []  # printed in the terminal summary by this directory's conftest


@pytest.mark.timeout(900)  # registry: 100+ operations × every role; 80 s on a quiet machine, 370 s on a loaded one
@pytest.mark.parametrize("service", SERVICES)
async def test_schemathesis_finds_no_failure(stack: Stack, service: str) -> None:
    # Both apps (the one seeding and the one under test) live on the day the selection seeds are made for.
    # A mail server, so that password reset answers as it does in production (without one it is a 503 by design).
    with smtp_server() as (_, port):
        settings = await stack.settings(service, business_date=DAY, smtp_host="127.0.0.1", smtp_port=port)
        create_app = importlib.import_module(f"{service}.main").create_app
        seeds = await SEEDERS.get(service, bare_seeds)(stack, settings, create_app(settings))
        outcome = run_schemathesis(service, create_app(settings), seeds)
    OUTCOMES.append(outcome.summary())
    print(outcome.summary())
    print("no 2xx:\n  " + "\n  ".join(outcome.never_succeeded()))
    assert outcome.operations > 0
    failing = "\n".join(f"  {label}:\n    " + "\n    ".join(found) for label, found in sorted(outcome.failures.items()))
    assert not outcome.failures, f"{outcome.summary()}\n{failing}"
