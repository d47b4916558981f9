"""The funding service declared once: routes, events published, reactions."""

from sihua_shared.consumer import merge_subscriptions
from sihua_shared.contracts.funding import (
    APPLICATION_APPROVED,
    APPLICATION_REJECTED,
    APPLICATION_REVIEWED,
    APPLICATION_SUBMITTED,
    POLICY_VERSION_ACTIVATED,
)
from sihua_shared.revocation import deactivated_ids, revocation_subscription
from sihua_shared.service import ServiceSpec

from .adapters.readmodels import REGISTRY_FACTS
from .adapters.tables import deactivated_accounts
from .api.applications import router as applications_router
from .api.evidence import router as evidence_router
from .api.policies import router as policies_router
from .application.facts import SUBSCRIPTIONS

SPEC = ServiceSpec(
    name="funding",
    title="资金奖补 / funding",
    description="Policies as versioned data, applications for every measure, amounts to the fen with their trace, the award ledger.",
    publishes=[APPLICATION_SUBMITTED, APPLICATION_REVIEWED, APPLICATION_APPROVED, APPLICATION_REJECTED, POLICY_VERSION_ACTIVATED],
    subscriptions=merge_subscriptions(
        [REGISTRY_FACTS.subscription("funding")], [revocation_subscription("funding", deactivated_accounts)], SUBSCRIPTIONS,
    ),
    routers=[policies_router, applications_router, evidence_router],
    deactivated_accounts=deactivated_ids(deactivated_accounts),
)
