"""The registry's access policy (``domain.access``) applied: a resource's description for single decisions,
the same scopes as SQL conditions for lists, and the refusals. Reads and lists agree because both start
from the one scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access import Scope
from sihua_shared.access_sql import Attribute
from sihua_shared.errors import DomainError, forbidden

from ..adapters.call_tables import applications, objections, panel_members
from ..adapters.notification_tables import notifications
from ..adapters.profile_tables import pilot_pool_enrolments
from ..adapters.tables import organisations
from ..adapters.title_tables import titles
from ..domain.access import ACCOUNT, DISTRICT, FILED_BY, ORGANISATION, PANEL


def _sits_on(application_id: Any) -> Any:
    def condition(expert_id: Any) -> ColumnElement[bool]:
        return exists().where(panel_members.c.application_id == application_id, panel_members.c.expert_id == expert_id,
                              panel_members.c.status != "declined")
    return condition


def _organisation_in(column: Any) -> Any:
    def condition(district: Any) -> ColumnElement[bool]:
        return column.in_(select(organisations.c.id).where(organisations.c.district == district))
    return condition


# The attributes of each resource as columns (a list query of applications joins ``organisations``).
ORGANISATION_COLUMNS: dict[str, Attribute] = {ORGANISATION: organisations.c.id, DISTRICT: organisations.c.district}
APPLICATION_COLUMNS: dict[str, Attribute] = {
    ORGANISATION: applications.c.organisation_id, DISTRICT: organisations.c.district, PANEL: _sits_on(applications.c.id),
}
TITLE_COLUMNS: dict[str, Attribute] = {ORGANISATION: titles.c.organisation_id, DISTRICT: _organisation_in(titles.c.organisation_id)}
POOL_COLUMNS: dict[str, Attribute] = {ORGANISATION: pilot_pool_enrolments.c.enterprise_id, DISTRICT: pilot_pool_enrolments.c.district}
NOTIFICATION_COLUMNS: dict[str, Attribute] = {ACCOUNT: notifications.c.account_id}
OBJECTION_COLUMNS: dict[str, Attribute] = {FILED_BY: objections.c.filed_by}


def organisation_resource(row: Mapping[str, Any]) -> dict[str, Any]:
    return {ORGANISATION: row["id"], DISTRICT: row.get("district")}


def owned_resource(row: Mapping[str, Any], owner: str = "organisation_id") -> dict[str, Any]:
    """A resource owned by an organisation, with the owner's district on the row."""
    return {ORGANISATION: row[owner], DISTRICT: row.get("district")}


async def panel_of(session: AsyncSession, application_id: str) -> set[str]:
    found = await session.execute(select(panel_members.c.expert_id).where(
        panel_members.c.application_id == application_id, panel_members.c.status != "declined"))
    return {r[0] for r in found}


async def application_resource(session: AsyncSession, row: Mapping[str, Any]) -> dict[str, Any]:
    return {**owned_resource(row), PANEL: await panel_of(session, row["id"])}


def ensure(scope: Scope, resource: Mapping[str, Any], refusal: DomainError | None = None) -> None:
    """Raise ``refusal`` (a plain 403 by default) unless the scope admits the resource."""
    if not scope.admits(resource):
        raise refusal or forbidden()


def not_owner() -> DomainError:
    return forbidden("该资源属于其他单位，无权访问", "This resource belongs to another organisation", code="not_owner")
