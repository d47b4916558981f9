"""The registry service declared once: routes, events published, reactions."""

from sihua_shared.contracts.registry import ORGANISATION_REGISTERED, ORGANISATION_UPDATED
from sihua_shared.service import ServiceSpec

from .api.organisations import router as organisations_router

SPEC = ServiceSpec(
    name="registry",
    title="平台登记与遴选 / organisations, calls, review, titles",
    description=(
        "征集 · 遴选: organisations, accounts, calls, applications, expert review, titles, "
        "the pilot pool and the enterprise file."
    ),
    publishes=[ORGANISATION_REGISTERED, ORGANISATION_UPDATED],
    subscriptions=[],
    routers=[organisations_router],
)
