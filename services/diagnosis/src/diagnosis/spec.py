"""The diagnosis service declared once: routes, events published, reactions, background jobs."""

from sihua_shared.consumer import merge_subscriptions
from sihua_shared.contracts.diagnosis import (
    ASSESSMENT_COMPLETED,
    ASSESSMENT_SUBMITTED,
    CONSENT_GRANTED,
    CONSENT_REVOKED,
    DIAGNOSIS_PROJECT_ASSIGNED,
    DIAGNOSIS_PROJECT_COMPLETED,
    EDITION_ACTIVATED,
    REPORT_ISSUED,
)
from sihua_shared.revocation import deactivated_ids, revocation_subscription
from sihua_shared.service import ServiceSpec

from .adapters.readmodels import REGISTRY_FACTS
from .adapters.tables import deactivated_accounts
from .api.assessment_files import router as assessment_files_router
from .api.assessments import router as assessments_router
from .api.comparison import router as comparison_router
from .api.consents import router as consents_router
from .api.editions import router as editions_router
from .api.programme import router as programme_router
from .api.projects import router as projects_router
from .application.reports import report_job, report_subscription
from .application.verification_facts import verification_subscription

SPEC = ServiceSpec(
    name="diagnosis",
    title="评估诊断 / assessment and diagnosis",
    description="The national SME digital-level index as data, assessments, levels, reports and diagnosis projects.",
    publishes=[ASSESSMENT_SUBMITTED, ASSESSMENT_COMPLETED, REPORT_ISSUED, DIAGNOSIS_PROJECT_ASSIGNED, DIAGNOSIS_PROJECT_COMPLETED,
               EDITION_ACTIVATED, CONSENT_GRANTED, CONSENT_REVOKED],
    # The registry's facts (read models) first; then the service's own facts, which queue reports.
    subscriptions=merge_subscriptions(
        [REGISTRY_FACTS.subscription("diagnosis"), revocation_subscription("diagnosis", deactivated_accounts),
         verification_subscription("diagnosis")],
        [report_subscription()],
    ),
    routers=[
        editions_router,
        assessments_router,
        assessment_files_router,
        comparison_router,
        consents_router,
        projects_router,
        programme_router,
    ],
    background=[report_job],
    deactivated_accounts=deactivated_ids(deactivated_accounts),
)
