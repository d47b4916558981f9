"""The funding service declared once: routes, events published, reactions."""

from sihua_shared.readmodels import registry_subscription
from sihua_shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="funding",
    title="资金奖补 / funding",
    description="Policies as data, budgets, transformation projects, acceptance, subsidies, disbursement and claw-back.",
    publishes=[],
    subscriptions=[registry_subscription("funding")],
    routers=[],
)
