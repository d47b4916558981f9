"""The catalog service declared once: routes, events published, reactions, background jobs."""

from sqlalchemy import select

from sihua_shared.consumer import Reaction, Subscription, merge_subscriptions
from sihua_shared.contracts import diagnosis as diagnosis_facts
from sihua_shared.contracts import funding as funding_facts
from sihua_shared.contracts import registry as registry_facts
from sihua_shared.contracts.catalog import PUBLISHED
from sihua_shared.revocation import deactivated_ids, revocation_subscription
from sihua_shared.service import ServiceSpec

from .adapters.readmodels import REGISTRY_FACTS, catalog_readmodels, expert_pool
from .adapters.tables import deactivated_accounts
from .api.adaptations import router as adaptations_router
from .api.group_purchase import router as group_purchase_router
from .api.matching import router as matching_router
from .api.officials import router as officials_router
from .api.products import router as products_router
from .api.ratings import router as ratings_router
from .api.showcase import router as showcase_router
from .api.solutions import router as solutions_router
from .application import adoption, group_purchase, matching
from .application.adaptations import expiry_job
from .application.standing import on_registry_fact

# After the read models took a title or an organisation's standing: the provider's products follow (suspension,
# reinstatement). Merged last, so that they run after the read models in the same transaction.
STANDING = Subscription("catalog", "registry", [
    Reaction(spec, on_registry_fact) for spec in (
        registry_facts.TITLE_GRANTED, registry_facts.TITLE_REVOKED, registry_facts.ORGANISATION_UPDATED,
        registry_facts.ORGANISATION_VERIFIED, registry_facts.ORGANISATION_REJECTED)
])

# 精准匹配: the systems an organisation runs, the consents enterprises gave, assessments that yield recommendations.
MATCHING = [
    Subscription("catalog", "registry", [
        Reaction(registry_facts.ORGANISATION_UPDATED, matching.record_systems),
        Reaction(registry_facts.CLUSTER_MEMBER_APPROVED, group_purchase.record_member),
        Reaction(registry_facts.CLUSTER_MEMBER_REMOVED, group_purchase.record_member_removed),
    ]),
    Subscription("catalog", "diagnosis", [
        Reaction(diagnosis_facts.CONSENT_GRANTED, matching.record_consent),
        Reaction(diagnosis_facts.CONSENT_REVOKED, matching.record_consent_revoked),
        Reaction(diagnosis_facts.ASSESSMENT_COMPLETED, matching.on_assessment_completed),
    ]),
]

# Adoption and outcome (issue 14 §2): funding's transformation projects and the product versions they contract.
ADOPTION = Subscription("catalog", "funding", [
    Reaction(funding_facts.PROJECT_CONTRACTED, adoption.on_contracted),
    Reaction(funding_facts.INVESTMENT_APPROVED, adoption.on_investment_approved),
    Reaction(funding_facts.PROJECT_COMPLETED, adoption.on_completed),
    Reaction(funding_facts.ACCEPTANCE_APPLIED, adoption.on_acceptance_applied),
    Reaction(funding_facts.PROJECT_ACCEPTED, adoption.on_accepted),
    Reaction(funding_facts.PROJECT_FAILED, adoption.on_failed),
])

SPEC = ServiceSpec(
    name="catalog",
    title="产品供给清单 / product catalogue",
    description="小快轻准 products, admission review, adaptation records, search, matching and group purchase.",
    publishes=list(PUBLISHED),
    subscriptions=merge_subscriptions(
        [REGISTRY_FACTS.subscription("catalog")], [revocation_subscription("catalog", deactivated_accounts)],
        catalog_readmodels("catalog"), [STANDING], MATCHING, [ADOPTION],
    ),
    routers=[products_router, adaptations_router, showcase_router, officials_router, matching_router,
             group_purchase_router, ratings_router, solutions_router],
    background=[expiry_job],
    deactivated_accounts=deactivated_ids(deactivated_accounts),
    # registry's expert.left_pool: a withdrawn expert's live tokens lose the role expert here too
    withdrawn_experts=select(expert_pool.c.expert_account_id).where(expert_pool.c.active.is_(False)),
)
