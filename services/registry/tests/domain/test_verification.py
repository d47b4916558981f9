"""Verification of a signed-up organisation (domain.verification), and the table of what counts before it — the
table of the README: an unverified organisation fills its profile and takes practice self-assessments only; it applies
to no call, joins no pilot pool and holds no title until verified."""

from __future__ import annotations

import pytest

from registry.application.pilot_rules import eligibility_problems
from registry.domain.verification import (
    SIGN_UP_KINDS,
    Verification,
    counts,
    is_verified,
    verification_actions,
    verification_step,
)
from sihua_shared.errors import DomainError, TransitionNotAllowed
from sihua_shared.jurisdiction import load_jurisdiction


def test_the_verification_table() -> None:
    assert verification_step("unverified", "verify") is Verification.VERIFIED
    assert verification_step("unverified", "reject", reason="营业执照不符") is Verification.REJECTED
    assert verification_step("rejected", "verify") is Verification.VERIFIED  # after the organisation corrected it
    with pytest.raises(TransitionNotAllowed) as refused:
        verification_step("verified", "reject", reason="x")
    assert refused.value.allowed == []
    with pytest.raises(TransitionNotAllowed):
        verification_step("rejected", "reject", reason="again")
    with pytest.raises(DomainError) as no_reason:
        verification_step("unverified", "reject", reason="  ")
    assert no_reason.value.code == "reason_required" and no_reason.value.field == "body.reason"
    assert verification_actions("unverified") == ["verify", "reject"] and verification_actions("verified") == []


# (verification status, counts as more than practice, may apply / join the pilot / hold a title)
WHAT_COUNTS = [
    ("unverified", False, False),
    ("rejected", False, False),
    ("verified", True, True),
    (None, True, True),  # registered by an official before verification existed
]


@pytest.mark.parametrize(("status", "counting", "may_act"), WHAT_COUNTS)
def test_what_counts_before_verification(status: str | None, counting: bool, may_act: bool) -> None:
    assert counts(status) is counting
    assert is_verified(status) is may_act
    gz = load_jurisdiction("guangzhou")
    enterprise = {"kind": "enterprise", "verification": status, "size_class": "small", "sector": gz.pilot_sectors[0].code,
                  "district": (gz.pilot_sectors[0].districts or [gz.districts[0].code])[0]}
    codes = [p.code for p in eligibility_problems(enterprise, gz)]
    assert ("organisation_unverified" in codes) is not may_act
    assert codes == ([] if may_act else ["organisation_unverified"])


def test_sign_up_kinds_have_their_account_role() -> None:
    assert SIGN_UP_KINDS == {"enterprise": "enterprise", "provider": "provider", "cluster_body": "cluster_body",
                             "third_party": "third_party"}
