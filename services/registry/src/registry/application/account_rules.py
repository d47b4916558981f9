"""Who may hold which roles (pure functions), and the refusals of who may create or manage whose account (decided by
the access policy, ``domain.access.account_refusal``).

- A city officer manages every account and agency client.
- A district officer manages enterprise, provider and district-officer accounts of their own district
  (an organisation's account is in the organisation's district); never city-level roles.
- An enterprise or provider account manages colleagues of its own organisation with its own role, and
  never officials.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sihua_shared.auth import Actor
from sihua_shared.errors import DomainError, Problem, forbidden

from ..domain import access as policy

PERSON_ROLES = ("enterprise", "provider", "expert", "district_officer", "city_officer", "third_party", "auditor")
OFFICIAL_ROLES = ("district_officer", "city_officer")
CLIENT_ROLES = ("service", "third_party", "auditor")
# The organisation kinds whose people may hold an organisation role.
ORGANISATION_KINDS: dict[str, frozenset[str]] = {
    "enterprise": frozenset({"enterprise"}),
    "provider": frozenset({"platform", "traction_unit", "diagnosis_provider", "provider"}),
}


def shape_problems(
    roles: Collection[str], organisation: Mapping[str, Any] | None, district: str | None
) -> list[Problem]:
    """An account's roles must fit its organisation and district."""
    found: list[Problem] = []
    officials = [r for r in roles if r in OFFICIAL_ROLES]
    if officials and organisation is not None:
        found.append(Problem("body.organisation_id", "official_with_organisation", "公职人员账号不属于任何单位",
                             "officials belong to no organisation"))
    if "district_officer" in roles and not district:
        found.append(Problem("body.district", "district_required", "区级账号须指定所在区", "a district officer needs a district"))
    if "city_officer" in roles and district:
        found.append(Problem("body.district", "city_without_district", "市级账号不绑定区", "a city officer is not bound to a district"))
    for role, kinds in ORGANISATION_KINDS.items():
        if role not in roles:
            continue
        if organisation is None:
            found.append(Problem("body.organisation_id", "organisation_required", f"角色 {role} 须指定所属单位",
                                 f"role {role} needs an organisation"))
        elif organisation["kind"] not in kinds:
            found.append(
                Problem(
                    "body.roles",
                    "role_not_for_kind",
                    f"单位类型 {organisation['kind']} 不能持有角色 {role}",
                    f"an organisation of kind {organisation['kind']} cannot hold role {role}",
                )
            )
    return found


def scope_district(organisation: Mapping[str, Any] | None, district: str | None) -> str | None:
    """The district an account falls under: its organisation's, or its own."""
    if organisation is not None:
        found = organisation.get("district")
        return str(found) if found else None
    return district


def ensure_may_manage(
    actor: Actor, roles: Collection[str], organisation: Mapping[str, Any] | None, district: str | None
) -> None:
    """Raise 403 unless the access policy lets ``actor`` create or manage an account with these roles and place."""
    refusal = policy.account_refusal(actor, frozenset(roles), organisation["id"] if organisation else None,
                                     scope_district(organisation, district))
    if refusal is None:
        return
    code, refused = refusal
    if code == "outside_district":
        raise forbidden("只能管理本区的账号", "only accounts of your own district", field="body.district", code="outside_district")
    if code == "not_owner":
        raise forbidden("只能管理本单位的账号", "only accounts of your own organisation", field="body.organisation_id",
                        code="not_owner")
    raise _not_grantable(refused)


def _not_grantable(roles: Collection[str]) -> DomainError:
    listed = ", ".join(sorted(roles))
    return forbidden(f"无权授予以下角色：{'、'.join(sorted(roles))}", f"you may not grant: {listed}", field="body.roles",
                     code="role_not_grantable")
