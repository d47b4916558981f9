"""What the routes of calls, applications, review and publicity share: the business date and the answer shape."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import Depends
from pydantic import BaseModel

from sihua_shared.clock import today
from sihua_shared.http import versioned_json
from sihua_shared.runtime import Runtime, get_runtime


def business_day(runtime: Runtime = Depends(get_runtime)) -> date:
    """Today's date in the jurisdiction's time zone: intake windows, due dates, publicity periods and decisions are
    business dates. A dependency, so that a test can move the calendar (``app.dependency_overrides``) rather than
    wait out a publicity period."""
    return today(runtime.jurisdiction.time_zone)


answer = versioned_json  # the shared convention under the name the selection routes use


def page(model: type[BaseModel], views: list[dict[str, Any]], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": [model.model_validate(v).model_dump(mode="json") for v in views], "total": total, "limit": limit, "offset": offset}
