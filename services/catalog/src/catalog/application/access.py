"""The catalog's access policy (``domain.access``) applied: products described for single decisions, the same
scopes as SQL conditions for lists, and the registry facts a provider's standing is read from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from sihua_shared.access import Scope
from sihua_shared.access_sql import Attribute, where
from sihua_shared.errors import DomainError

from ..adapters.readmodels import known_organisations, organisation_standing
from ..adapters.tables import panel_members, products
from ..domain.access import DISTRICT, ORGANISATION, PANEL


def _on_panel(expert_id: Any) -> ColumnElement[bool]:
    return exists().where(panel_members.c.product_id == products.c.id, panel_members.c.expert_id == expert_id)


PRODUCT_COLUMNS: dict[str, Attribute] = {
    ORGANISATION: products.c.organisation_id, DISTRICT: products.c.district, PANEL: _on_panel,
}


def product_resource(row: Mapping[str, Any], panel: list[str]) -> dict[str, Any]:
    return {ORGANISATION: row["organisation_id"], DISTRICT: row["district"], PANEL: panel}


def visible(scope: Scope) -> ColumnElement[bool]:
    return where(scope, PRODUCT_COLUMNS)


def ensure(scope: Scope, resource: Mapping[str, Any], refusal: DomainError) -> None:
    if not scope.admits(resource):
        raise refusal


async def organisation(session: AsyncSession, organisation_id: str) -> dict[str, Any] | None:
    """The organisation as the registry's facts describe it, with its verification standing."""
    query = (
        select(known_organisations, organisation_standing.c.verification)
        .outerjoin(organisation_standing, organisation_standing.c.organisation_id == known_organisations.c.organisation_id)
        .where(known_organisations.c.organisation_id == organisation_id)
    )
    row = (await session.execute(query)).mappings().first()
    return dict(row) if row else None
