"""The registry service declared once: routes, events published, reactions."""

from sihua_shared.consumer import merge_subscriptions
from sihua_shared.contracts.registry import ORGANISATION_REGISTERED, ORGANISATION_UPDATED
from sihua_shared.service import ServiceSpec

from .api.accounts import router as accounts_router
from .api.enterprise_file import router as enterprise_file_router
from .api.notifications import router as notifications_router
from .api.oauth import router as oauth_router
from .api.organisations import router as organisations_router
from .api.password_reset import router as password_reset_router
from .application.enterprise_file import enterprise_file_subscriptions
from .application.notifications import notification_jobs, notification_subscriptions

SPEC = ServiceSpec(
    name="registry",
    title="平台登记与遴选 / organisations, calls, review, titles",
    description=(
        "征集 · 遴选: organisations, accounts, calls, applications, expert review, titles, "
        "the pilot pool and the enterprise file."
    ),
    publishes=[ORGANISATION_REGISTERED, ORGANISATION_UPDATED],
    subscriptions=merge_subscriptions(enterprise_file_subscriptions(), notification_subscriptions()),
    routers=[
        organisations_router,
        enterprise_file_router,
        oauth_router,
        accounts_router,
        password_reset_router,
        notifications_router,
    ],
    background=[notification_jobs],
)
