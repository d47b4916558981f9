"""精准匹配: an assessment that counts yields ranked, explained recommendations of admitted products for the
enterprise's weakest scenes, fitting its sector, size and systems; a practice assessment yields none; a newer
assessment supersedes; the enterprise, the providers it consented to and officials see them, nobody else."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from catalog.domain import matching
from catalog.main import create_app
from sihua_shared.db import create_engine, session_factory
from sihua_shared.tables import outbox
from sihua_shared.testing.harness import Stack, service_client

from .kit import API, DAY, OTHER_PROVIDER, Review, apply_facts, ok, product, world
from .matching_kit import ENTERPRISE, OTHER_ENTERPRISE, assessment, consent, enterprise


async def _issued(url: str) -> list[dict[str, Any]]:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(select(outbox.c.envelope).where(outbox.c.type.like("%recommendation.issued%"))
                                         .order_by(outbox.c.seq))
            return [r["data"] for r in rows.scalars()]
    finally:
        await engine.dispose()


async def _adapt(client: Any, review: Review, product_id: str, system: str) -> None:
    ok(await client.post(f"{API}/products/{product_id}/adaptations", headers=review.third_party, json={
        "target_kind": "interface", "target_ref": system, "target_name": f"{system} 接口", "tested": "数据同步",
        "cases": [{"name": "订单同步", "result": "passed"}], "valid_until": "2027-05-09"}), 201)


async def test_recommendations_explained_ranked_superseded_and_visible_to_the_consented(stack: Stack) -> None:
    settings = await stack.settings("catalog", business_date=DAY)
    url = settings.database_url
    await apply_facts(url, [*world(), enterprise(systems=["erp"]), consent()])
    async with service_client(create_app(settings)) as client:
        review = Review(client, stack)
        both = await review.create(product("排产与设备云", scenes=["S05", "S09"]))
        only = await review.create(product("智能排产云"))
        other_sector = await review.create(product("服装排产云", sectors=["garment"]))
        too_dear = await review.create(product("高端排产系统", price_fen=30_000_000, packages=[
            {"code": "basic", "name": "基础版", "price_fen": 30_000_000, "unit": "per_year"}]))
        unverified = await review.create(product("未适配排产云"))
        for p in (both, only, other_sector, too_dear, unverified):
            await review.through_review(p["id"])
        for p in (both, only, other_sector, too_dear):
            await _adapt(client, review, p["id"], "ERP")

        await apply_facts(url, [assessment(official=False)])  # practice (a fact from before `counts`): nothing
        await apply_facts(url, [assessment("assess-unverified", counts=False)])  # an unverified enterprise's: nothing
        ent = stack.issuer.headers(["enterprise"], org=ENTERPRISE)
        assert (await client.get(f"{API}/enterprises/{ENTERPRISE}/recommendations", headers=ent)).status_code == 404

        await apply_facts(url, [assessment("assess-2")])
        got = ok(await client.get(f"{API}/enterprises/{ENTERPRISE}/recommendations", headers=ent))
        assert [i["product_id"] for i in got["items"]] == [both["id"], only["id"]]  # two weakest scenes before one
        first = got["items"][0]
        assert first["scenes"] == ["S05", "S09"] and first["systems"] == ["ERP"]
        assert first["explanation"] == ("计划排程 当前为一级、设备管理 当前为未达一级；企业整体为一级，达到二级需 6 个场景达到二级，"
                                        "其中 3 个为约束性场景；该产品覆盖计划排程、设备管理；已与贵企业的 ERP 完成适配验证；"
                                        "本行业已有 0 家企业采用")

        # the provider the enterprise consented to sees them; another provider, another enterprise do not
        assert ok(await client.get(f"{API}/enterprises/{ENTERPRISE}/recommendations", headers=review.provider))["id"] == got["id"]
        for headers in (stack.issuer.headers(["provider"], org=OTHER_PROVIDER),
                        stack.issuer.headers(["enterprise"], org=OTHER_ENTERPRISE)):
            assert (await client.get(f"{API}/enterprises/{ENTERPRISE}/recommendations", headers=headers)).status_code == 404
        await apply_facts(url, [consent(revoked=True)])
        assert (await client.get(f"{API}/enterprises/{ENTERPRISE}/recommendations",
                                 headers=review.provider)).status_code == 404

        # a new assessment supersedes; the same fact again changes nothing
        await apply_facts(url, [assessment("assess-3", weakest=["S09"]), assessment("assess-3", weakest=["S09"])])
        newer = ok(await client.get(f"{API}/enterprises/{ENTERPRISE}/recommendations", headers=ent))
        assert newer["assessment_id"] == "assess-3" and [i["product_id"] for i in newer["items"]] == [both["id"]]
    facts = await _issued(url)
    assert [f["assessment_id"] for f in facts] == ["assess-2", "assess-3"]
    assert facts[1]["supersedes"] == got["id"] and facts[1]["items"][0]["explanation"].startswith("设备管理 当前为未达一级")


def test_ranking_is_deterministic_and_the_rules_are_validated() -> None:
    rules = matching.load_rules()
    ent = matching.Enterprise("custom_furniture", "micro", ())

    def cand(n: str, scenes: tuple[str, ...], price: int, adopters: int = 0) -> matching.Candidate:
        return matching.Candidate(n, 1, n, n, scenes, (), (), price, adopters)

    cands = [cand("GZ-3", ("S05",), 100), cand("GZ-2", ("S05",), 100), cand("GZ-1", ("S05",), 200),
             cand("GZ-4", ("S05",), 100, adopters=3), cand("GZ-5", ("S05", "S09"), 900), cand("GZ-6", ("S09",), 1)]
    ranked = [m.candidate.catalogue_number for m in matching.rank(cands, ent, ["S05", "S09"], {"S09"}, rules)]
    assert ranked == ["GZ-5", "GZ-6", "GZ-4", "GZ-2", "GZ-3", "GZ-1"]
    assert ranked == [m.candidate.catalogue_number for m in matching.rank(cands[::-1], ent, ["S05", "S09"], {"S09"}, rules)]
    for bad in ({"version": "x", "max_items": 0}, {"version": "x", "max_items": 5, "budget_fen_by_size": {"huge": 1}},
                {"version": "x", "max_items": 5, "budget_fen_by_size": {"micro": 1.5}}):
        with pytest.raises(ValueError):
            matching.parse_rules(bad)


async def test_an_older_assessment_arriving_late_is_kept_superseded_and_not_announced(stack: Stack) -> None:
    from catalog.application.matching import on_assessment_completed
    from sihua_shared.events import new_event

    settings = await stack.settings("catalog", business_date=DAY)
    url = settings.database_url
    await apply_facts(url, [*world(), enterprise()])
    async with service_client(create_app(settings)) as client:
        review = Review(client, stack)
        created = await review.create()
        await review.through_review(created["id"])
        await apply_facts(url, [assessment("assess-new")])
        spec, payload, _ = assessment("assess-old")
        late = new_event(spec, payload, subject="s").model_copy(update={"time": "2026-01-01T00:00:00Z"})
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session, session.begin():
                await on_assessment_completed(session, late, payload)  # type: ignore[arg-type]
        finally:
            await engine.dispose()
        ent = stack.issuer.headers(["enterprise"], org=ENTERPRISE)
        assert ok(await client.get(f"{API}/enterprises/{ENTERPRISE}/recommendations", headers=ent))["assessment_id"] == "assess-new"
    assert [f["assessment_id"] for f in await _issued(url)] == ["assess-new"]


def test_an_assessment_counts_for_matching_unless_diagnosis_says_it_is_practice() -> None:
    """Issue 10 §1's table: an unverified enterprise's practice assessment is never a basis for matching; a pilot
    enterprise's self-assessment (not its official record) still counts as a self-assessment."""
    from catalog.application.matching import counts

    def payload(**kw: bool | None) -> Any:
        return assessment(**kw)[1]

    assert counts(payload(counts=False)) is False
    assert counts(payload(counts=True, official=False)) is True  # a pilot enterprise's self-assessment
    assert counts(payload(official=False)) is False  # before `counts`: official_record false was practice
    assert counts(payload()) is True
