"""Complaints over HTTP against a real database: an enterprise complains about a provider that served it (one it
never served is refused), sees its own; a provider sees counts only; a district officer its district's; a city
officer decides once (If-Match), publishing ``evaluation.complaint.decided`` without the enterprise; upheld
complaints compute the ``complaints`` indicator with links to the complaints."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from evaluation.main import create_app
from sihua_shared.tables import audit_log, outbox
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .kit import API, DAY, if_match, ok, seed

C = f"{API}/complaints"


def body(provider: str, subject: str = "服务未按约定完成") -> dict[str, str]:
    return {"provider_id": provider, "subject": subject, "text": "诊断报告迟交两个月，且未按合同上门服务。"}


async def test_complaints_filed_seen_decided_and_counted(stack: Stack) -> None:
    settings = await stack.settings("evaluation", business_date=DAY)
    await seed(settings.database_url, ("e1", "enterprise", "huangpu", "custom_furniture"),
               ("e2", "enterprise", "tianhe", "auto_parts"), ("p1", "platform", None, None),
               ("p2", "platform", None, None), titles=(("p1", "key_platform"), ("p2", "key_platform")),
               served=(("p1", "e1"), ("p1", "e2"), ("p2", "e2")))
    issuer = stack.issuer
    e1 = issuer.headers(["enterprise"], org="e1")
    e2 = issuer.headers(["enterprise"], org="e2")
    p1 = issuer.headers(["provider"], org="p1")
    p2 = issuer.headers(["provider"], org="p2")
    city = issuer.headers(["city_officer"], sub="c1")
    huangpu = issuer.headers(["district_officer"], district="huangpu")
    app = create_app(settings)
    async with service_client(app) as client:
        # a provider that never served the enterprise: refused
        never = await client.post(C, json=body("p2"), headers={**e1, "Idempotency-Key": str(uuid.uuid4())})
        assert never.status_code == 409 and never.json()["code"] == "provider_not_serving"
        # bounded text
        long = await client.post(C, json={**body("p1"), "text": "长" * 4001},
                                 headers={**e1, "Idempotency-Key": str(uuid.uuid4())})
        assert long.status_code == 422
        key = str(uuid.uuid4())
        first = ok(await client.post(C, json=body("p1"), headers={**e1, "Idempotency-Key": key}), 201)
        replay = ok(await client.post(C, json=body("p1"), headers={**e1, "Idempotency-Key": key}), 201)
        assert replay["id"] == first["id"] and first["state"] == "filed" and first["district"] == "huangpu"
        second = ok(await client.post(C, json=body("p1", "收费不透明"), headers={**e2, "Idempotency-Key": str(uuid.uuid4())}), 201)
        third = ok(await client.post(C, json=body("p1", "响应慢"), headers={**e2, "Idempotency-Key": str(uuid.uuid4())}), 201)

        # who sees what
        assert [c["id"] for c in ok(await client.get(C, headers=e1))["items"]] == [first["id"]]
        assert ok(await client.get(C, headers=e2))["total"] == 2
        assert (await client.get(f"{C}/{first['id']}", headers=e2)).status_code == 404
        assert [c["id"] for c in ok(await client.get(C, headers=huangpu))["items"]] == [first["id"]]
        assert ok(await client.get(C, headers=city, params={"provider_id": "p1"}))["total"] == 3
        assert (await client.get(C, headers=p1)).status_code == 403
        counts = ok(await client.get(f"{API}/providers/p1/complaints", headers=p1))
        assert counts["total"] == 3 and counts["by_state"]["filed"] == 3 and "e1" not in str(counts)
        assert (await client.get(f"{API}/providers/p1/complaints", headers=p2)).status_code == 403

        # the decision: a city officer, If-Match, once
        d = f"{C}/{first['id']}/decision"
        decision = {"outcome": "upheld", "reason": "经核实，服务商逾期交付"}
        assert (await client.post(d, json=decision, headers=huangpu)).status_code == 403
        assert (await client.post(d, json=decision, headers={**city, "If-Match": '"9"'})).status_code == 412
        upheld = ok(await client.post(d, json=decision, headers={**city, **if_match(first)}))
        assert (upheld["state"], upheld["decided_on"], upheld["decision_reason"]) == ("upheld", DAY.isoformat(),
                                                                                       "经核实，服务商逾期交付")
        again = await client.post(d, json=decision, headers={**city, **if_match(upheld)})
        assert again.status_code == 409 and again.json()["code"] == "complaint_decided"
        ok(await client.post(f"{C}/{second['id']}/decision", json={"outcome": "dismissed", "reason": "不属于服务质量问题"},
                             headers={**city, **if_match(second)}))
        counts = ok(await client.get(f"{API}/providers/p1/complaints", headers=p1))
        assert counts["by_state"] == {"filed": 1, "upheld": 1, "dismissed": 1}

        # the indicator: upheld complaints of the cycle's year, fewer is better, linked to the complaints
        cycle = ok(await client.post(f"{API}/cycles", headers=city, json={"kind": "key_platform", "year": 2026}), 201)
        results = {r["provider_id"]: r for r in ok(await client.post(f"{API}/cycles/{cycle['id']}/compute", headers=city))}
        mine = {v["indicator_id"]: v for v in results["p1"]["trace"]["indicators"]}["complaints"]
        other = {v["indicator_id"]: v for v in results["p2"]["trace"]["indicators"]}["complaints"]
        assert (mine["source"], mine["value"], mine["points_milli"], mine["note"]) == (
            "computed", "1", 4000, f"complaints={first['id']}")
        assert len(mine["facts"]) == 1 and (other["value"], other["points_milli"], other["facts"]) == ("0", 5000, [])

    events = [r.envelope for r in await rows(settings.database_url, select(outbox.c.envelope).where(
        outbox.c.type.like("%complaint.decided%")).order_by(outbox.c.seq))]
    assert [(e["data"]["complaint_id"], e["data"]["outcome"]) for e in events] == [(first["id"], "upheld"),
                                                                                   (second["id"], "dismissed")]
    # the fact never names who complained (compare values, not substrings: a random id may contain "e1")
    assert all("enterprise_id" not in e["data"] and "e1" not in e["data"].values() for e in events)
    actions = [a.action for a in await rows(settings.database_url, select(audit_log.c.action))]
    assert actions.count("complaint.file") == 3 and actions.count("complaint.decide") == 2
    assert third["state"] == "filed"
