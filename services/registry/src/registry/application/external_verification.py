"""The organisation's verification when the province's enterprise identity service vouches for its USCC.

An unverified (signed-up) organisation is verified automatically through the one verification use case
(``verification.verify_organisation`` with ``verified_by = external_identity``: audited, ``organisation.verified``
published). A rejected one stays rejected and the exchange is refused: an officer decided, and only an officer
decides again (the identity service proves who acts for the enterprise, not that the officer was wrong). An
organisation registered by an official is verified already.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.auth import Actor
from sihua_shared.errors import DomainError

from ..domain.verification import Verification
from .oauth_errors import invalid_grant
from .verification import verify_organisation


async def verify_by_external_identity(
    session: AsyncSession, actor: Actor, organisation: dict[str, Any]
) -> tuple[dict[str, Any], bool] | DomainError:
    """(the organisation after, whether it was verified now) or the refusal; the caller holds its row's lock."""
    status = organisation["verification"]
    if status == Verification.REJECTED:
        return invalid_grant(
            "the organisation's sign-up was rejected by an officer", "该单位的注册申请未通过核验，请联系所在区主管部门",
            field="body.subject_token", code="organisation_rejected",
        )
    if status == Verification.VERIFIED:
        return organisation, False
    after = await verify_organisation(session, actor, organisation["id"], verified_by="external_identity")
    return after, True
