"""What the routes of calls, applications, review and publicity share: the business date and the answer shape."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from sihua_shared.http import versioned_json
from sihua_shared.runtime import business_day

__all__ = ["answer", "business_day", "page"]


answer = versioned_json  # the shared convention under the name the selection routes use


def page(model: type[BaseModel], views: list[dict[str, Any]], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": [model.model_validate(v).model_dump(mode="json") for v in views], "total": total, "limit": limit, "offset": offset}
