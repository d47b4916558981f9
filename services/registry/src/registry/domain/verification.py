"""Verification of an organisation that signed itself up (S2 五(一): 征集、遴选、主动报备), and what counts before it.

An organisation registered by an official is ``verified`` from the start. One that signed itself up through the
public sign-up starts ``unverified``; a district officer of its district (or a city officer) verifies it, or rejects
it with a reason; the province's enterprise identity service may also vouch for it (``external_identity``). A
rejected organisation may be verified later (after it corrected what was wrong); a verified one stays verified.

What counts before verification (the table of the README, tested in ``tests/domain/test_verification.py``):

====================  ===================================================================================
unverified            fills its profile; takes *practice* self-assessments — never an official record, never a
                      basis for matching or money; applies to no call, joins no pilot pool, holds no title
verified              its self-assessments count as self-assessments; applies to calls, may be enrolled
pilot (enrolled)      its official record comes from the on-site assessment (as before)
====================  ===================================================================================

Pure rules, no framework.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from sihua_shared.errors import DomainError, Kind, invalid
from sihua_shared.statemachine import Machine


class Verification(StrEnum):
    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    REJECTED = "rejected"

    @property
    def label_zh(self) -> str:
        return {"unverified": "待核验", "verified": "已核验", "rejected": "核验未通过"}[self.value]


class VerificationAction(StrEnum):
    VERIFY = "verify"
    REJECT = "reject"

    @property
    def label_zh(self) -> str:
        return {"verify": "核验通过", "reject": "核验不通过"}[self.value]


def _reason_required(*, reason: str | None = None) -> None:
    if not reason or not reason.strip():
        raise invalid("body.reason", "请填写不通过的理由", "give the reason for the rejection", "reason_required")


VERIFICATION_MACHINE: Machine[Verification, VerificationAction] = Machine(
    "organisation verification", "单位核验", tuple(Verification),
    {
        (Verification.UNVERIFIED, VerificationAction.VERIFY): Verification.VERIFIED,
        (Verification.UNVERIFIED, VerificationAction.REJECT): Verification.REJECTED,
        (Verification.REJECTED, VerificationAction.VERIFY): Verification.VERIFIED,
    },
    {s: s.label_zh for s in Verification}, {a: a.label_zh for a in VerificationAction},
    guards={VerificationAction.REJECT: _reason_required},
)

VerifiedBy = Literal["district_officer", "city_officer", "external_identity"]

# The kinds an organisation may sign itself up as, and the role of the contact's account for each.
SIGN_UP_KINDS: dict[str, str] = {
    "enterprise": "enterprise",
    "provider": "provider",
    "cluster_body": "cluster_body",
    "third_party": "third_party",
}


def verification_actions(state: str) -> list[VerificationAction]:
    return VERIFICATION_MACHINE.allowed(Verification(state))


def verification_step(state: str, action: str, *, reason: str | None = None) -> Verification:
    """The verification status after ``action``; refuses steps the table does not allow (409) and a rejection
    without a reason (422)."""
    return VERIFICATION_MACHINE.step(Verification(state), action, **({"reason": reason} if action == "reject" else {}))


def is_verified(state: str | None) -> bool:
    """Organisations registered before verification existed carry no status: officials registered them."""
    return state is None or state == Verification.VERIFIED


def counts(state: str | None) -> bool:
    """Whether the organisation's self-assessments count (are more than practice): only once verified."""
    return is_verified(state)


def unverified_refusal(action_zh: str, action_en: str) -> DomainError:
    """Refusing what needs a verified organisation (applying to a call, joining the pilot pool, holding a title)."""
    return DomainError(
        "organisation_unverified", f"单位尚未通过核验，不能{action_zh}",
        f"the organisation is not verified yet: it cannot {action_en}", field="organisation", kind=Kind.CONFLICT,
    )
