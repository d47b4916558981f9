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


ORGANISATION_REGISTERED = EventSpec(
    "registry", "organisation", "registered", 1, OrganisationRegistered,
    "An organisation was registered",
)
ORGANISATION_UPDATED = EventSpec(
    "registry", "organisation", "updated", 1, OrganisationUpdated,
    "An organisation's profile was updated",
)
