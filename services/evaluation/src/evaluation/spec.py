"""The evaluation service declared once: routes, events published, reactions."""

from sihua_shared.consumer import merge_subscriptions
from sihua_shared.revocation import deactivated_ids, revocation_subscription
from sihua_shared.service import ServiceSpec

from .adapters.readmodels import REGISTRY_FACTS
from .adapters.tables import deactivated_accounts

SPEC = ServiceSpec(
    name="evaluation",
    title="平台评价 / platform evaluation",
    description="Evaluation cycles, indicators, grades, revocation verdicts and programme KPIs.",
    publishes=[],
    subscriptions=merge_subscriptions(
        [REGISTRY_FACTS.subscription("evaluation")], [revocation_subscription("evaluation", deactivated_accounts)]
    ),
    routers=[],
    deactivated_accounts=deactivated_ids(deactivated_accounts),
)
