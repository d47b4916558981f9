"""Who may enter the SME city pilot (诊断+改造入库名单, S2 二, 三(二), 五(一)). Pure functions.

An enterprise is eligible when:

* it is an enterprise (not a provider or an agency);
* it is verified: an enterprise that signed itself up joins once its district officer verified it (domain.verification);
* it is an SME by 《中小企业划型标准规定》 (S2 二): its size class is known (every quantity its industry's row needs is
  on file, see ``organisation_profile.size_columns``) and is not large;
* its sector is one of the jurisdiction's pilot sectors, and that sector is carried out in its district
  (S2 三(二) names the districts of each sector; a sector configured with no districts is citywide).

Every unmet condition is reported, not only the first, with the profile field it concerns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sihua_shared.errors import DomainError
from sihua_shared.jurisdiction import Jurisdiction

from ..domain.size_class import SizeClass
from ..domain.verification import is_verified


def _not_eligible(field: str, zh: str, en: str, code: str) -> DomainError:
    return DomainError(code, zh, en, field=field)


def _size_problems(organisation: Mapping[str, Any]) -> list[DomainError]:
    if organisation.get("size_class") is None:
        return [
            _not_eligible(
                "organisation.size_class",
                "缺少划型所需数据（见划型依据），无法按《中小企业划型标准规定》确认为中小企业",
                "the size class is not known (see its basis), so the 2011 size rule cannot confirm an SME",
                "size_unknown",
            )
        ]
    if organisation.get("size_class") == SizeClass.LARGE.value:
        return [
            _not_eligible(
                "organisation.size_class",
                "该企业为大型企业，不属于中小企业，不能纳入试点",
                "a large enterprise is not an SME and cannot join the pilot",
                "not_sme",
            )
        ]
    return []


def _sector_problems(organisation: Mapping[str, Any], jurisdiction: Jurisdiction) -> list[DomainError]:
    sector_code = organisation.get("sector")
    sector = jurisdiction.pilot_sector(sector_code) if sector_code else None
    if sector is None:
        allowed_zh = "、".join(s.name_zh for s in jurisdiction.pilot_sectors)
        return [
            _not_eligible(
                "organisation.sector",
                f"企业所属行业不是试点行业（{allowed_zh}）",
                f"the enterprise's sector is not a pilot sector ({', '.join(s.code for s in jurisdiction.pilot_sectors)})",
                "not_pilot_sector",
            )
        ]
    district = organisation.get("district")
    if district is None:
        return [_not_eligible("organisation.district", "企业未登记所在区", "the enterprise has no district on file", "district_unknown")]
    if sector.districts and district not in sector.districts:
        names = "、".join(d.name_zh for d in jurisdiction.districts if d.code in sector.districts)
        return [
            _not_eligible(
                "organisation.district",
                f"{sector.name_zh}行业的试点只在{names}开展",
                f"the {sector.code} pilot is carried out in {', '.join(sector.districts)} only",
                "sector_not_in_district",
            )
        ]
    return []


def eligibility_problems(organisation: Mapping[str, Any], jurisdiction: Jurisdiction) -> list[DomainError]:
    """Everything that keeps ``organisation`` out of the pilot; empty when it may be enrolled."""
    if organisation.get("kind") != "enterprise":
        return [
            _not_eligible(
                "body.enterprise_id", "只有企业可以纳入试点名单", "only enterprises join the pilot pool", "not_an_enterprise"
            )
        ]
    unverified = [] if is_verified(organisation.get("verification")) else [
        _not_eligible("organisation.verification", "该企业尚未通过核验，不能纳入试点",
                      "the enterprise is not verified yet and cannot join the pilot", "organisation_unverified")
    ]
    return unverified + _size_problems(organisation) + _sector_problems(organisation, jurisdiction)
