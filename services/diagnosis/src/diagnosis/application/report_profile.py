"""The enterprise as a report shows it: the registry's facts (read model) with the jurisdiction's names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.jurisdiction import load_jurisdiction
from sihua_shared.logging import get_logger

from ..reports.model import Enterprise
from .access import organisation

log = get_logger("diagnosis.reports")
UNKNOWN = "—"


def place_names(jurisdiction: str, district: str | None, sector: str | None) -> tuple[str, str]:
    """District and sector codes as people read them; the codes themselves when the configuration lacks them."""
    try:
        config = load_jurisdiction(jurisdiction)
        found_district = config.district(district) if district else None
        found_sector = config.pilot_sector(sector) if sector else None
    except Exception as exc:  # a missing or broken configuration must not stop a report
        log.warning("report.jurisdiction_unavailable", jurisdiction=jurisdiction, error=repr(exc))
        found_district = found_sector = None
    return (
        found_district.name_zh if found_district else district or UNKNOWN,
        found_sector.name_zh if found_sector else sector or UNKNOWN,
    )


async def enterprise_profile(session: AsyncSession, assessment: Mapping[str, Any], jurisdiction: str) -> Enterprise:
    org = await organisation(session, assessment["enterprise_id"]) or {}
    district, sector = place_names(jurisdiction, org.get("district") or assessment["district"],
                                   org.get("sector") or assessment["sector"])
    return Enterprise(name=org.get("name") or UNKNOWN, uscc=assessment["uscc"], district=district, sector=sector)
