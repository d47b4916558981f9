"""The organisation's verification when the province's enterprise identity service vouches for its USCC.

An unverified (signed-up) organisation is verified automatically, ``verified_by = external_identity``; a rejected one
stays rejected (an officer decided; the identity service proves who acts for the enterprise, not that the officer
was wrong), and the exchange is refused. An organisation registered by an official is verified already.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.auth import Actor
from sihua_shared.errors import DomainError

from .oauth_errors import invalid_grant


async def verify_by_external_identity(
    session: AsyncSession, actor: Actor, organisation: dict[str, Any], today: date
) -> DomainError | None:
    """Verify ``organisation`` (locked by the caller) if it waits for it; answer the refusal if it was rejected."""
    status = organisation.get("verification")
    if status == "rejected":
        return invalid_grant(
            "the organisation's sign-up was rejected by an officer", "该单位的注册申请未通过核验，请联系所在区主管部门",
            field="body.subject_token", code="organisation_rejected",
        )
    return None
