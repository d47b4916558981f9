"""The evaluation service declared once: routes, events published, reactions."""

from sihua_shared.readmodels import registry_subscription
from sihua_shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="evaluation",
    title="平台评价 / platform evaluation",
    description="Evaluation cycles, indicators, grades, revocation verdicts and programme KPIs.",
    publishes=[],
    subscriptions=[registry_subscription("evaluation")],
    routers=[],
)
