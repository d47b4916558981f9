"""The catalog service declared once: routes, events published, reactions."""

from sihua_shared.service import ServiceSpec

from .adapters.readmodels import REGISTRY_FACTS

SPEC = ServiceSpec(
    name="catalog",
    title="产品供给清单 / product catalogue",
    description="小快轻准 products, admission review, adaptation records, search, matching and group purchase.",
    publishes=[],
    subscriptions=[REGISTRY_FACTS.subscription("catalog")],
    routers=[],
)
