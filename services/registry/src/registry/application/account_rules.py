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
from sihua_shared.problems import FieldError, ProblemError, field_error

from ..domain import access as policy

PERSON_ROLES = ("enterprise", "provider", "expert", "district_officer", "city_officer", "third_party", "auditor")
OFFICIAL_ROLES = ("district_officer", "city_officer")
CLIENT_ROLES = ("service", "third_party", "auditor")
# The organisation kinds whose people may hold an organisation role.
ORGANISATION_KINDS: dict[str, frozenset[str]] = {
    "enterprise": frozenset({"enterprise"}),
    "provider": frozenset({"platform", "traction_unit", "diagnosis_provider"}),
}


def shape_problems(
    roles: Collection[str], organisation: Mapping[str, Any] | None, district: str | None
) -> list[FieldError]:
    """An account's roles must fit its organisation and district."""
    found: list[FieldError] = []
    officials = [r for r in roles if r in OFFICIAL_ROLES]
    if officials and organisation is not None:
        found.append(field_error("body.organisation_id", "公职人员账号不属于任何单位", "officials belong to no organisation"))
    if "district_officer" in roles and not district:
        found.append(field_error("body.district", "区级账号须指定所在区", "a district officer needs a district"))
    if "city_officer" in roles and district:
        found.append(field_error("body.district", "市级账号不绑定区", "a city officer is not bound to a district"))
    for role, kinds in ORGANISATION_KINDS.items():
        if role not in roles:
            continue
        if organisation is None:
            found.append(field_error("body.organisation_id", f"角色 {role} 须指定所属单位", f"role {role} needs an organisation"))
        elif organisation["kind"] not in kinds:
            found.append(
                field_error(
                    "body.roles",
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
        raise ProblemError(
            403,
            "outside_district",
            f"district officers of {actor.district} manage accounts of their own district only",
            errors=[field_error("body.district", "只能管理本区的账号", "only accounts of your own district")],
        )
    if code == "not_owner":
        raise ProblemError(
            403,
            "not_owner",
            "accounts of another organisation cannot be managed",
            errors=[field_error("body.organisation_id", "只能管理本单位的账号", "only accounts of your own organisation")],
        )
    raise _not_grantable(refused)


def _not_grantable(roles: Collection[str]) -> ProblemError:
    listed = ", ".join(sorted(roles))
    return ProblemError(
        403,
        "role_not_grantable",
        f"you may not grant the roles {listed}",
        errors=[field_error("body.roles", f"无权授予以下角色：{'、'.join(sorted(roles))}", f"you may not grant: {listed}")],
    )
