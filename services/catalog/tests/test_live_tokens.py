"""An expert the registry withdrew from the pool (``expert.left_pool``) keeps no expert rights here: its live tokens
lose the role ``expert`` within seconds (the catalog's pool read model, SPEC.withdrawn_experts), so it can no longer
read or score the products whose panel it sat on; the other experts are untouched."""

from __future__ import annotations

from catalog.main import create_app
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.testing.harness import Stack, eventually, service_client

from .kit import API, DAY, EXPERTS, apply_facts, world


async def test_a_withdrawn_experts_live_token_loses_the_role(stack: Stack) -> None:
    settings = await stack.settings("catalog", business_date=DAY, revocation_refresh_seconds=0.2)
    await apply_facts(settings.database_url, world())
    leaving, staying = EXPERTS[0], EXPERTS[1]
    live = stack.issuer.headers(["expert"], sub=leaving)
    other = stack.issuer.headers(["expert"], sub=staying)
    async with service_client(create_app(settings)) as client:
        assert (await client.get(f"{API}/products", headers=live)).status_code == 200
        await apply_facts(settings.database_url, [(registry_facts.EXPERT_LEFT_POOL, registry_facts.ExpertLeftPool(
            expert_account_id=leaving, version=2), 2)])

        async def refused() -> bool:
            response = await client.get(f"{API}/products", headers=live)
            return response.status_code == 403 and response.json()["code"] == "role_required"

        assert await eventually(refused, timeout=10)
        assert (await client.get(f"{API}/products", headers=other)).status_code == 200
        # a token holding other roles keeps them
        both = stack.issuer.headers(["expert", "auditor"], sub=leaving)
        assert (await client.get(f"{API}/products", headers=both)).status_code == 200
