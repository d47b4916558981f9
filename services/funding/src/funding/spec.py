"""The funding service declared once: routes, events published, reactions."""

from sihua_shared.service import ServiceSpec

from .adapters.readmodels import REGISTRY_FACTS

SPEC = ServiceSpec(
    name="funding",
    title="资金奖补 / funding",
    description="Policies as data, budgets, transformation projects, acceptance, subsidies, disbursement and claw-back.",
    publishes=[],
    subscriptions=[REGISTRY_FACTS.subscription("funding")],
    routers=[],
)
