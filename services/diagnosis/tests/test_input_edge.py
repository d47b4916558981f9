"""Bad input is a 4xx everywhere (issue 9 §1), on the diagnosis service served by a real uvicorn: every operation
refuses a NUL in its path ids and query parameters and an offset beyond 2^63; answers with NUL characters, NaN,
1e400, integers beyond 2^53, a device count of 2^63 or nesting beyond the bound are field errors; nothing is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from sqlalchemy import select

from diagnosis.adapters.assessment_tables import assessments
from diagnosis.main import create_app
from sihua_shared.testing.edge import all_roles, missing_ids, operations, refused_inputs
from sihua_shared.testing.harness import Stack, served_app
from tests.pipeline.helpers import rows

from .kit import API, seed, start


async def test_every_operation_refuses_nul_ids_queries_and_huge_offsets(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    app = create_app(settings)
    assert len([op for op in operations(app) if op.path_params]) >= 18
    async with served_app(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        assert await refused_inputs(client, app, all_roles(stack.issuer)) == []
        assert await missing_ids(client, app, all_roles(stack.issuer)) == []


async def test_answers_that_cannot_be_stored_are_refused_and_change_nothing(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    await seed(settings.database_url, ("ent-a", "enterprise", "huangpu", "auto_parts"))
    ent = stack.issuer.headers(["enterprise"], org="ent-a", sub="acct-a")
    async with served_app(create_app(settings)) as base, httpx.AsyncClient(base_url=base) as client:
        created = await start(client, ent)
        before = await rows(settings.database_url, select(assessments.c.answers, assessments.c.version))
        url = f"{API}/assessments/{created['id']}/answers"
        devices = '{"answers": {"Q2": {"inputs": {"total_devices": %s, "digital_devices": 1}}}}'
        cases = [
            (devices % "NaN", "body.answers.Q2.inputs.total_devices"),
            (devices % "1e400", "body.answers.Q2.inputs.total_devices"),
            (devices % str(2**63), "body.answers.Q2.inputs.total_devices"),  # beyond 2^53: must be a string
            (devices % f'"{2**63}"', "body.answers.Q2.inputs.total_devices"),  # as a string: beyond the domain's bound
            ('{"answers": {"Q1": {"options": ["B\\u0000"]}}}', "body.answers.Q1.options.0"),
            ('{"answers": {"Q1\\ud800": {"options": ["B"]}}}', "body.answers.Q1\\ud800"),
            ('{"answers": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}", "body.answers" + ".a" * 31),
        ]
        for raw, field in cases:
            response = await client.put(url, content=raw.encode(), headers={**ent, "Content-Type": "application/json"})
            assert response.status_code == 422, (raw[:80], response.text)
            assert field in [e["field"] for e in response.json()["errors"]], (raw[:80], response.json())
        async def large_yaml() -> AsyncIterator[bytes]:
            for _ in range(40):
                yield b"# " + b"x" * 65533 + b"\n"

        city = stack.issuer.headers(["city_officer"])
        edition = await client.post(f"{API}/editions", content=large_yaml(), headers={**city, "Content-Type": "application/yaml"})
        assert edition.status_code == 413 and edition.json()["code"] == "body_too_large"
        comparison = await client.get(f"{API}/enterprises/ent-a/comparison", params={"before": "nope"}, headers=ent)
        assert comparison.status_code == 422 and comparison.json()["errors"][0]["field"] == "query.before"
        assert await rows(settings.database_url, select(assessments.c.answers, assessments.c.version)) == before
    assert before[0].version == 1
