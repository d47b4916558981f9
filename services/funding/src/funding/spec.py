"""The funding service declared once: routes, events published, reactions."""

from sihua_shared.consumer import merge_subscriptions
from sihua_shared.revocation import deactivated_ids, revocation_subscription
from sihua_shared.service import ServiceSpec

from .adapters.readmodels import REGISTRY_FACTS
from .adapters.tables import deactivated_accounts

SPEC = ServiceSpec(
    name="funding",
    title="资金奖补 / funding",
    description="Policies as data, budgets, transformation projects, acceptance, subsidies, disbursement and claw-back.",
    publishes=[],
    subscriptions=merge_subscriptions(
        [REGISTRY_FACTS.subscription("funding")], [revocation_subscription("funding", deactivated_accounts)]
    ),
    routers=[],
    deactivated_accounts=deactivated_ids(deactivated_accounts),
)
