"""What the tests of matching, group purchase, ratings and solutions share: the assessed enterprise (its profile
with the systems it runs, its consent to the provider) and the diagnosis facts that reach the catalog."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sihua_shared.contracts import diagnosis as diagnosis_facts
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.testing.data import make_uscc

from .kit import DAY, PROVIDER, Fact, organisation

ENTERPRISE, OTHER_ENTERPRISE = "ent-1", "ent-2"
SECTOR = "custom_furniture"


def enterprise(org_id: str = ENTERPRISE, n: int = 11, *, systems: list[str] | None = None, size: str = "small",
               sector: str = SECTOR, version: int = 2) -> Fact:
    """The enterprise's profile after an update (so it carries the systems it runs)."""
    return (registry_facts.ORGANISATION_UPDATED, registry_facts.OrganisationUpdated(
        organisation_id=org_id, uscc=make_uscc(300 + n), name=f"{org_id} 家居有限公司", kind="enterprise",
        district="huangpu", sector=sector, size_class=size, version=version,  # type: ignore[arg-type]
        systems=systems), version)


def consent(enterprise_id: str = ENTERPRISE, organisation_id: str = PROVIDER, consent_id: str = "consent-1",
            *, revoked: bool = False) -> Fact:
    if revoked:
        return (diagnosis_facts.CONSENT_REVOKED, diagnosis_facts.ConsentRevoked(
            consent_id=consent_id, enterprise_id=enterprise_id, organisation_id=organisation_id,
            revoked_by_account_id="acct-ent"), 2)
    return (diagnosis_facts.CONSENT_GRANTED, diagnosis_facts.ConsentGranted(
        consent_id=consent_id, enterprise_id=enterprise_id, organisation_id=organisation_id,
        granted_by_account_id="acct-ent"), 1)


def assessment(assessment_id: str = "assess-1", enterprise_id: str = ENTERPRISE, *, weakest: list[str] | None = None,
               official: bool | None = None, counts: bool | None = None, level: int = 1, stage: str = "baseline",
               n: int = 11) -> Fact:
    weakest = ["S05", "S09"] if weakest is None else weakest
    levels: dict[str, Any] = {"S01": 2, "S05": 1, "S09": 0}
    return (diagnosis_facts.ASSESSMENT_COMPLETED, diagnosis_facts.AssessmentCompleted(
        assessment_id=assessment_id, enterprise_id=enterprise_id, uscc=make_uscc(300 + n), kind="self",
        stage=stage, edition_id="2024", level=level, level_by_score=level, level_by_scenes=level,  # type: ignore[arg-type]
        total_milli=45_000, dimension_milli={}, scene_levels=levels, weakest_scenes=weakest, official_record=official,
        counts=counts, level_name="一级", next_level_gap={"level": 2, "score_milli_missing": 5_000, "scene_level": 2,
                                          "scenes_missing": 6, "constrained_missing": 3}), 1)


async def seed_matching(stack: Any, client: Any, url: str, product_id: str) -> dict[str, str]:
    """For the access table and schemathesis: the enterprise ``ent-1`` assessed (recommendations issued), with a
    consent to the home provider."""
    from .kit import apply_facts, title

    # a key-platform title valid whatever business date the caller pins (schemathesis pins the registry's)
    lasting = title(PROVIDER, 1, "title-prov-lasting").model_copy(update={
        "title_number": "GZSH-KP-2024-0099", "valid_from": date(2024, 1, 1), "valid_until": date(2030, 12, 31)})
    await apply_facts(url, [enterprise(), consent(), assessment(), organisation(CLUSTER_BODY, "cluster_body", 40),
                            cluster_member(), (registry_facts.TITLE_GRANTED, lasting, 1)])
    cluster = stack.issuer.headers(["cluster_body"], org=CLUSTER_BODY)
    wide = {"opens_on": "2024-01-01", "closes_on": "2030-12-31"}  # whatever business date the caller pins
    opened = await client.post("/api/catalog/v1/group-purchases", json=group_purchase_body(product_id, **wide),
                               headers=cluster)
    assert opened.status_code == 201, opened.text
    purchase = f"/api/catalog/v1/group-purchases/{opened.json()['id']}"
    enrolled = await client.post(f"{purchase}/enrolments", headers=stack.issuer.headers(["enterprise"], org=ENTERPRISE))
    assert enrolled.status_code == 201, enrolled.text
    delivered = await client.post(f"{purchase}/deliveries", json={"enterprise_id": ENTERPRISE}, headers=cluster)
    assert delivered.status_code == 201, delivered.text
    rated = await client.post(f"/api/catalog/v1/products/{product_id}/ratings", json=RATING,
                              headers=stack.issuer.headers(["enterprise"], org=ENTERPRISE))
    assert rated.status_code == 201, rated.text
    platform = stack.issuer.headers(["provider"], sub="acct-prov", org=PROVIDER)  # a key platform (world's title)
    solution = await client.post("/api/catalog/v1/solutions", headers=platform, json={
        "title": "定制家居排产方案", "sector": SECTOR, "summary": "排产方案", "product_ids": [product_id]})
    assert solution.status_code == 201, solution.text
    plan = await client.post("/api/catalog/v1/work-plans", headers=platform, json={
        "year": 2026, "targets": [{"sector": SECTOR, "enterprises_to_serve": 10, "products_to_apply": 1}]})
    assert plan.status_code == 201, plan.text
    return {"enterprise_id": ENTERPRISE, "purchase_id": opened.json()["id"], "rating_id": rated.json()["id"],
            "solution_id": solution.json()["id"], "plan_id": plan.json()["id"]}


CLUSTER_BODY = "cluster-body-1"
RATING = {"version": 1, "score": 4, "comment": "排产效率明显提升，但报表导出偏慢"}


def cluster_member(enterprise_id: str = ENTERPRISE, membership_id: str = "member-1", *, removed: bool = False,
                   cluster_body_id: str = CLUSTER_BODY, n: int = 11) -> Fact:
    if removed:
        return (registry_facts.CLUSTER_MEMBER_REMOVED, registry_facts.ClusterMemberRemoved(
            membership_id=membership_id, cluster_body_id=cluster_body_id, enterprise_id=enterprise_id,
            reason="企业迁出本区", removed_on=DAY), 2)
    return (registry_facts.CLUSTER_MEMBER_APPROVED, registry_facts.ClusterMemberApproved(
        membership_id=membership_id, cluster_body_id=cluster_body_id, cluster_body_uscc=make_uscc(399),
        cluster_name="黄埔区定制家居产业集群", enterprise_id=enterprise_id, enterprise_uscc=make_uscc(300 + n),
        district="huangpu", approved_on=DAY), 1)


def group_purchase_body(product_id: str, **overrides: Any) -> dict[str, Any]:
    return {"product_id": product_id, "package_code": "basic", "price_fen": 1_500_000, "places": 2,
            "opens_on": DAY.isoformat(), "closes_on": (DAY + timedelta(days=30)).isoformat(),
            "title": "定制家居集群排产云集中采购", **overrides}
