"""The evaluation service declared once: routes, events published, reactions."""

from sihua_shared.consumer import merge_subscriptions
from sihua_shared.contracts.evaluation import (
    APPEAL_DECIDED,
    APPEAL_FILED,
    COMPLAINT_DECIDED,
    CYCLE_CLOSED,
    CYCLE_OPENED,
    FINDING_RECORDED,
    NOTICE_ISSUED,
    RECTIFICATION_DUE,
    SAMPLE_DRAWN,
    SURVEY_ANSWERED,
    TIER_ASSIGNED,
    TRAINING_RECORDED,
    VERDICT_ISSUED,
    VERDICT_PROPOSED,
)
from sihua_shared.revocation import deactivated_ids, revocation_subscription
from sihua_shared.service import ServiceSpec

from .adapters.readmodels import REGISTRY_FACTS
from .adapters.tables import deactivated_accounts
from .api.complaints import router as complaints_router
from .api.cycles import router as cycles_router
from .api.programme import router as programme_router
from .api.results import router as results_router
from .api.surveys import router as surveys_router
from .api.training import router as training_router
from .application.facts import facts_subscription

SPEC = ServiceSpec(
    name="evaluation",
    title="平台评价 / platform evaluation",
    description="Evaluation cycles, indicators from facts, satisfaction surveys, complaints, sampling audits, grades with due "
                "process, verdicts and tiers, training and programme KPIs.",
    publishes=[CYCLE_OPENED, CYCLE_CLOSED, SURVEY_ANSWERED, SAMPLE_DRAWN, FINDING_RECORDED, NOTICE_ISSUED,
               RECTIFICATION_DUE, VERDICT_PROPOSED, APPEAL_FILED, APPEAL_DECIDED, VERDICT_ISSUED, TIER_ASSIGNED,
               TRAINING_RECORDED, COMPLAINT_DECIDED],
    subscriptions=merge_subscriptions(
        [REGISTRY_FACTS.subscription("evaluation")], [revocation_subscription("evaluation", deactivated_accounts)],
        facts_subscription(),
    ),
    routers=[cycles_router, results_router, surveys_router, complaints_router, training_router, programme_router],
    deactivated_accounts=deactivated_ids(deactivated_accounts),
)
