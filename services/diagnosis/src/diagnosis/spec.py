"""The diagnosis service declared once: routes, events published, reactions."""

from sihua_shared.readmodels import registry_subscription
from sihua_shared.service import ServiceSpec

SPEC = ServiceSpec(
    name="diagnosis",
    title="评估诊断 / assessment and diagnosis",
    description="The national SME digital-level index as data, assessments, levels, reports and diagnosis projects.",
    publishes=[],
    subscriptions=[registry_subscription("diagnosis")],
    routers=[],
)
