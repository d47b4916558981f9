"""Facts published by the registry (征集 · 遴选): organisations, calls, applications, titles, the pilot pool."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..events import EventPayload, EventSpec
from .common import EntityId, Uscc

OrganisationKind = Literal[
    "enterprise", "platform", "traction_unit", "diagnosis_provider", "third_party", "agency"
]


class OrganisationRegistered(EventPayload):
    """An organisation (enterprise or provider) entered the registry. 组织已登记。"""

    organisation_id: EntityId
    uscc: Uscc
    name: str = Field(description="名称")
    kind: OrganisationKind
    district: str | None = Field(default=None, description="区 code")
    sector: str | None = Field(default=None, description="pilot sector code")
    industry_code: str | None = Field(default=None, description="GB/T 4754 行业代码")
    size_class: Literal["large", "medium", "small", "micro"] | None = None


class OrganisationUpdated(EventPayload):
    """An organisation's profile changed; the payload is the profile after the change. 组织信息已更新。"""

    organisation_id: EntityId
    uscc: Uscc
    name: str
    kind: OrganisationKind
    district: str | None = None
    sector: str | None = None
    industry_code: str | None = None
    size_class: Literal["large", "medium", "small", "micro"] | None = None
    version: int = Field(ge=1)


_ORG_EXAMPLE = {
    "organisation_id": "0b7f2c1e-3d4a-4e8b-9f10-2a3b4c5d6e7f",
    "uscc": "91440101MA0000001Q",
    "name": "广州示例制造有限公司",
    "kind": "enterprise",
    "district": "huangpu",
    "sector": "custom_furniture",
    "industry_code": "C2110",
    "size_class": "small",
}

ORGANISATION_REGISTERED = EventSpec(
    "registry", "organisation", "registered", 1, OrganisationRegistered,
    "An organisation was registered", example=_ORG_EXAMPLE, title_zh="组织已登记",
)
ORGANISATION_UPDATED = EventSpec(
    "registry", "organisation", "updated", 1, OrganisationUpdated,
    "An organisation's profile was updated", example={**_ORG_EXAMPLE, "version": 2}, title_zh="组织信息已更新",
)
