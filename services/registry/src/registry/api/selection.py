"""征集 · 遴选 · 公示 in one place for the service's declaration: the routers of calls, applications, attachments, expert
review and publicity, and the facts they publish."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from sihua_shared.contracts.registry import (
    APPLICATION_DECIDED,
    APPLICATION_RETURNED,
    APPLICATION_SUBMITTED,
    CALL_CLOSED,
    CALL_OPENED,
    EXPERT_ASSIGNED,
    OBJECTION_FILED,
    OBJECTION_RESOLVED,
)
from sihua_shared.events import EventSpec

from .attachments import router as attachments_router
from .call_applications import router as applications_router
from .calls import router as calls_router
from .publicity import router as publicity_router
from .review import router as review_router
from .review_rounds import router as review_rounds_router
from .tie_breaks import router as tie_breaks_router

SELECTION_ROUTERS: list[APIRouter] = [calls_router, applications_router, attachments_router, review_router, tie_breaks_router,
                                     review_rounds_router, publicity_router]
SELECTION_EVENTS: list[EventSpec[Any]] = [
    CALL_OPENED, CALL_CLOSED, APPLICATION_SUBMITTED, APPLICATION_RETURNED, EXPERT_ASSIGNED, APPLICATION_DECIDED,
    OBJECTION_FILED, OBJECTION_RESOLVED,
]
