"""What the routes of calls, applications, review and publicity share: the business date and the answer shape."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fastapi import Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sihua_shared.clock import today
from sihua_shared.http import etag_for
from sihua_shared.runtime import Runtime, get_runtime


def business_day(runtime: Runtime = Depends(get_runtime)) -> date:
    """Today's date in the jurisdiction's time zone: intake windows, due dates, publicity periods and decisions are
    business dates. A dependency, so that a test can move the calendar (``app.dependency_overrides``) rather than
    wait out a publicity period."""
    return today(runtime.jurisdiction.time_zone)


def answer(model: type[BaseModel], view: Mapping[str, Any], status: int = 200, **headers: str) -> JSONResponse:
    """The view validated by its documented model (exact decimals as strings, dates ISO 8601), with its ETag."""
    body = model.model_validate(dict(view)).model_dump(mode="json")
    if "version" in view:
        headers = {"ETag": etag_for(view["version"]), **headers}
    return JSONResponse(body, status_code=status, headers=headers)


def page(model: type[BaseModel], views: list[dict[str, Any]], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": [model.model_validate(v).model_dump(mode="json") for v in views], "total": total, "limit": limit, "offset": offset}
