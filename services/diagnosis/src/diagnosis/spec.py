"""The diagnosis service declared once: routes, events published, reactions."""

from sihua_shared.contracts.diagnosis import DIAGNOSIS_PROJECT_ASSIGNED
from sihua_shared.readmodels import registry_subscription
from sihua_shared.service import ServiceSpec

from .api.projects import router as projects_router

SPEC = ServiceSpec(
    name="diagnosis",
    title="评估诊断 / assessment and diagnosis",
    description="The national SME digital-level index as data, assessments, levels, reports and diagnosis projects.",
    publishes=[DIAGNOSIS_PROJECT_ASSIGNED],
    subscriptions=[registry_subscription("diagnosis")],
    routers=[projects_router],
)
