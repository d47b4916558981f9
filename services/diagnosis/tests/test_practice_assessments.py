"""Practice assessments of an enterprise not verified yet (issue 10 §1): diagnosis keeps each organisation's
verification status from the registry's facts (newest version wins, whatever the order they arrive in) and an
unverified or rejected enterprise's assessments do not count — ``counts: false`` and never an official record, on the
assessment and on its facts; a verified enterprise's count; a pilot enterprise's official record stays on-site."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from diagnosis.adapters.readmodels import organisation_verification
from diagnosis.application.verification_facts import verification_subscription
from diagnosis.main import create_app
from sihua_shared.contracts.registry import (
    OrganisationRegistered,
    OrganisationRejected,
    OrganisationUpdated,
    OrganisationVerified,
)
from sihua_shared.db import create_engine, session_factory
from sihua_shared.events import CloudEvent, EventPayload
from sihua_shared.tables import outbox
from sihua_shared.testing.data import make_uscc
from sihua_shared.testing.harness import Stack, service_client
from tests.pipeline.helpers import rows

from .kit import LEVEL1, assess, seed

UPDATE = {"uscc": make_uscc(600), "name": "练习企业有限公司", "kind": "enterprise", "district": "huangpu"}


async def tell(url: str, *facts: tuple[EventPayload, int]) -> None:
    """Apply registry facts (payload, aggregate version) through diagnosis's own reactions, in the order given."""
    reactions = {r.spec.payload: r.handler for r in verification_subscription().reactions}
    engine = create_engine(url)
    async with session_factory(engine)() as session, session.begin():
        for payload, version in facts:
            envelope = CloudEvent(id=f"e{version}", source="/sihua/registry", type="t", time="2026-01-01T00:00:00Z",
                                  aggregateversion=version)
            await reactions[type(payload)](session, envelope, payload)
    await engine.dispose()


async def status(url: str, organisation_id: str) -> str | None:
    found = await rows(url, select(organisation_verification.c.verification).where(
        organisation_verification.c.organisation_id == organisation_id))
    return found[0].verification if found else None


async def completed_facts(url: str) -> list[dict[str, Any]]:
    found = await rows(url, select(outbox.c.type, outbox.c.envelope).order_by(outbox.c.seq))
    return [r.envelope["data"] for r in found if r.type.endswith("assessment.completed.v1")]


def registered(org_id: str, verification: str | None) -> OrganisationRegistered:
    return OrganisationRegistered(organisation_id=org_id, verification=verification, **UPDATE)  # type: ignore[arg-type]


async def test_an_unverified_enterprise_practises_and_its_assessment_does_not_count(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    url = settings.database_url
    await seed(url, ("ent-u", "enterprise", "huangpu", None))
    await tell(url, (registered("ent-u", "unverified"), 1))
    ent = stack.issuer.headers(["enterprise"], org="ent-u")
    async with service_client(create_app(settings)) as client:
        practice = await assess(client, ent, LEVEL1)
        assert (practice["level"], practice["counts"], practice["official_record"]) == (1, False, False)
        # verified (v3), then an older profile update (v2) still saying unverified arrives: verified stays
        await tell(url, (OrganisationVerified(organisation_id="ent-u", uscc=UPDATE["uscc"], kind="enterprise",
                                              district="huangpu", verified_by="district_officer",
                                              verified_on=date(2026, 3, 2), version=3), 3),
                   (OrganisationUpdated(**UPDATE, organisation_id="ent-u", version=2, verification="unverified"), 2))
        assert await status(url, "ent-u") == "verified"
        counted = await assess(client, ent, LEVEL1)
        assert (counted["counts"], counted["official_record"]) == (True, True)
        listed = (await client.get(f"/api/diagnosis/v1/assessments/{practice['id']}", headers=ent)).json()
        assert listed["counts"] is False
    completed = await completed_facts(url)
    assert [(c["assessment_id"], c["counts"], c["official_record"]) for c in completed] == [
        (practice["id"], False, False), (counted["id"], True, True)]


async def test_a_rejected_enterprise_practises_and_an_unknown_or_officials_one_counts(stack: Stack) -> None:
    settings = await stack.settings("diagnosis")
    url = settings.database_url
    await seed(url, ("ent-r", "enterprise", "huangpu", None), ("ent-o", "enterprise", "huangpu", None),
               ("ent-p", "enterprise", "baiyun", "custom_furniture"), pilot=("ent-p",))
    await tell(url, (registered("ent-r", "unverified"), 1),
               (OrganisationRejected(organisation_id="ent-r", uscc=UPDATE["uscc"], reason="信息不符",
                                     rejected_on=date(2026, 3, 2), version=2), 2),
               (registered("ent-r", "unverified"), 1),  # a redelivered older fact changes nothing
               (registered("ent-o", None), 1))  # registered by an official: verified
    assert (await status(url, "ent-r"), await status(url, "ent-o"), await status(url, "ent-p")) == ("rejected", "verified", None)
    async with service_client(create_app(settings)) as client:
        rejected = await assess(client, stack.issuer.headers(["enterprise"], org="ent-r"), LEVEL1)
        official = await assess(client, stack.issuer.headers(["enterprise"], org="ent-o"), LEVEL1)
        pilot = await assess(client, stack.issuer.headers(["enterprise"], org="ent-p"), LEVEL1)
    assert (rejected["counts"], rejected["official_record"]) == (False, False)
    assert (official["counts"], official["official_record"]) == (True, True)
    assert (pilot["counts"], pilot["official_record"]) == (True, False)  # the pilot's record is the on-site one
