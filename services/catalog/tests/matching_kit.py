"""What the tests of matching, group purchase, ratings and solutions share: the assessed enterprise (its profile
with the systems it runs, its consent to the provider) and the diagnosis facts that reach the catalog."""

from __future__ import annotations

from typing import Any

from sihua_shared.contracts import diagnosis as diagnosis_facts
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.testing.data import make_uscc

from .kit import PROVIDER, Fact

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
               official: bool | None = None, level: int = 1, stage: str = "baseline", n: int = 11) -> Fact:
    weakest = ["S05", "S09"] if weakest is None else weakest
    levels: dict[str, Any] = {"S01": 2, "S05": 1, "S09": 0}
    return (diagnosis_facts.ASSESSMENT_COMPLETED, diagnosis_facts.AssessmentCompleted(
        assessment_id=assessment_id, enterprise_id=enterprise_id, uscc=make_uscc(300 + n), kind="self",
        stage=stage, edition_id="2024", level=level, level_by_score=level, level_by_scenes=level,  # type: ignore[arg-type]
        total_milli=45_000, dimension_milli={}, scene_levels=levels, weakest_scenes=weakest, official_record=official,
        level_name="一级", next_level_gap={"level": 2, "score_milli_missing": 5_000, "scene_level": 2,
                                          "scenes_missing": 6, "constrained_missing": 3}), 1)


async def seed_matching(stack: Any, client: Any, url: str, product_id: str) -> dict[str, str]:
    """For the access table and schemathesis: the enterprise ``ent-1`` assessed (recommendations issued), with a
    consent to the home provider."""
    from .kit import apply_facts

    await apply_facts(url, [enterprise(), consent(), assessment()])
    return {"enterprise_id": ENTERPRISE}
