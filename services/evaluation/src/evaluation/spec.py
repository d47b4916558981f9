"""The evaluation service declared once: routes, events published, reactions."""

from sihua_shared.service import ServiceSpec

from .adapters.readmodels import REGISTRY_FACTS

SPEC = ServiceSpec(
    name="evaluation",
    title="平台评价 / platform evaluation",
    description="Evaluation cycles, indicators, grades, revocation verdicts and programme KPIs.",
    publishes=[],
    subscriptions=[REGISTRY_FACTS.subscription("evaluation")],
    routers=[],
)
