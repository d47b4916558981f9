"""Checks of the jurisdiction's codes in use cases: a district or pilot sector named in a request must be one of
the configured city's (the OpenAPI document lists them; the body type only checks the code's shape)."""

from __future__ import annotations

from sihua_shared.errors import DomainError, invalid
from sihua_shared.jurisdiction import Jurisdiction


def check_district(jurisdiction: Jurisdiction, district: str | None, field: str) -> None:
    if district is not None and jurisdiction.district(district) is None:
        raise unknown_district(jurisdiction, district, field)


def unknown_district(jurisdiction: Jurisdiction, district: str, field: str) -> DomainError:
    return invalid(field, f"{jurisdiction.name_zh}没有该{jurisdiction.district_label_zh}：{district}",
                   f"{jurisdiction.code} has no district {district!r}", code="unknown_district")


def check_sector(jurisdiction: Jurisdiction, sector: str, field: str) -> None:
    if jurisdiction.pilot_sector(sector) is None:
        raise invalid(field, f"不是{jurisdiction.name_zh}的试点行业：{sector}",
                      f"{sector!r} is not a pilot sector of {jurisdiction.code}", code="unknown_sector")
