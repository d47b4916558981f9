"""The catalog service declared once: routes, events published, reactions."""

from sihua_shared.consumer import merge_subscriptions
from sihua_shared.revocation import deactivated_ids, revocation_subscription
from sihua_shared.service import ServiceSpec

from .adapters.readmodels import REGISTRY_FACTS
from .adapters.tables import deactivated_accounts

SPEC = ServiceSpec(
    name="catalog",
    title="产品供给清单 / product catalogue",
    description="小快轻准 products, admission review, adaptation records, search, matching and group purchase.",
    publishes=[],
    subscriptions=merge_subscriptions(
        [REGISTRY_FACTS.subscription("catalog")], [revocation_subscription("catalog", deactivated_accounts)]
    ),
    routers=[],
    deactivated_accounts=deactivated_ids(deactivated_accounts),
)
