"""The funding service declared once: routes, events published, reactions."""

from sihua_shared.consumer import merge_subscriptions
from sihua_shared.contracts.funding import (
    ACCEPTANCE_APPLIED,
    APPLICATION_APPROVED,
    APPLICATION_REJECTED,
    APPLICATION_REVIEWED,
    APPLICATION_SUBMITTED,
    BUDGET_EXHAUSTED,
    BUDGET_RESERVED,
    CLAWBACK_OFFSET,
    CLAWBACK_OPENED,
    CLAWBACK_REPAID,
    CLAWBACK_SETTLED,
    INVESTMENT_APPROVED,
    PAYMENT_ORDERED,
    PAYMENT_PAID,
    POLICY_VERSION_ACTIVATED,
    PROGRESS_REPORTED,
    PROJECT_ACCEPTED,
    PROJECT_COMPLETED,
    PROJECT_CONTRACTED,
    PROJECT_FAILED,
)
from sihua_shared.revocation import deactivated_ids, revocation_subscription
from sihua_shared.service import ServiceSpec

from .adapters.readmodels import REGISTRY_FACTS
from .adapters.tables import deactivated_accounts
from .api.applications import router as applications_router
from .api.budgets import router as budgets_router
from .api.evidence import router as evidence_router
from .api.finance import router as finance_router
from .api.payments import router as payments_router
from .api.policies import router as policies_router
from .api.projects import router as projects_router
from .api.views import router as views_router
from .application.facts import SUBSCRIPTIONS
from .application.projects import SUBSCRIPTIONS as PROJECT_SUBSCRIPTIONS

SPEC = ServiceSpec(
    name="funding",
    title="资金奖补 / funding",
    description="Policies as versioned data, applications for every measure, amounts to the fen with their trace, the award ledger.",
    publishes=[APPLICATION_SUBMITTED, APPLICATION_REVIEWED, APPLICATION_APPROVED, APPLICATION_REJECTED, POLICY_VERSION_ACTIVATED,
               BUDGET_RESERVED, BUDGET_EXHAUSTED, PROJECT_CONTRACTED, INVESTMENT_APPROVED, PROGRESS_REPORTED, PROJECT_COMPLETED,
               ACCEPTANCE_APPLIED, PROJECT_ACCEPTED, PROJECT_FAILED, PAYMENT_ORDERED, PAYMENT_PAID, CLAWBACK_OPENED,
               CLAWBACK_OFFSET, CLAWBACK_REPAID, CLAWBACK_SETTLED],
    subscriptions=merge_subscriptions(
        [REGISTRY_FACTS.subscription("funding")], [revocation_subscription("funding", deactivated_accounts)], SUBSCRIPTIONS,
        PROJECT_SUBSCRIPTIONS,
    ),
    routers=[policies_router, applications_router, evidence_router, budgets_router, projects_router, payments_router,
             finance_router, views_router],
    deactivated_accounts=deactivated_ids(deactivated_accounts),
)
