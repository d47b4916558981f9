"""Telling a signed-up organisation's people the outcome of its verification: an inbox notice for each of its active
accounts (mailed afterwards by the worker when SMTP is configured), from the ``organisation.verified`` /
``organisation.rejected`` facts — once per account and fact, whatever the redelivery."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.consumer import Reaction, Subscription
from sihua_shared.contracts.registry import (
    ORGANISATION_REJECTED,
    ORGANISATION_VERIFIED,
    OrganisationRejected,
    OrganisationVerified,
)
from sihua_shared.events import CloudEvent

from .notifications import notify, organisation_accounts

_BY = {"district_officer": "所在区主管部门", "city_officer": "市级主管部门", "external_identity": "省企业身份认证服务"}


async def _verified(session: AsyncSession, envelope: CloudEvent, fact: OrganisationVerified) -> None:
    await notify(session, await organisation_accounts(session, fact.organisation_id), kind="organisation_verified",
                 title="单位已通过核验", source_key=envelope.id, ref_type="organisation", ref_id=fact.organisation_id,
                 body=f"贵单位已由{_BY[fact.verified_by]}核验通过（{fact.verified_on.isoformat()}）。此后的自评估计入正式记录，"
                      "可以参加征集申报。")


async def _rejected(session: AsyncSession, envelope: CloudEvent, fact: OrganisationRejected) -> None:
    await notify(session, await organisation_accounts(session, fact.organisation_id), kind="organisation_rejected",
                 title="单位核验未通过", source_key=envelope.id, ref_type="organisation", ref_id=fact.organisation_id,
                 body=f"不通过理由：{fact.reason}。请更正单位信息后联系所在区主管部门重新核验。")


def verification_notice_subscriptions() -> list[Subscription]:
    return [Subscription("registry", "registry", [Reaction(ORGANISATION_VERIFIED, _verified),
                                                  Reaction(ORGANISATION_REJECTED, _rejected)])]
