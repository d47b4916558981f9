"""The registry service declared once: routes, events published, reactions."""

from datetime import timedelta

from sqlalchemy import func, select, union_all

from sihua_shared.consumer import merge_subscriptions
from sihua_shared.contracts.registry import (
    ACCOUNT_DEACTIVATED,
    ACCOUNT_REACTIVATED,
    CLUSTER_MEMBER_APPROVED,
    CLUSTER_MEMBER_REMOVED,
    ECOSYSTEM_PARTNER_CONFIRMED,
    ECOSYSTEM_PARTNER_ENDED,
    ENTERPRISE_ENROLLED,
    ENTERPRISE_REMOVED,
    EXPERT_LEFT_POOL,
    EXPERT_PROFILE_SET,
    ORGANISATION_REGISTERED,
    ORGANISATION_REJECTED,
    ORGANISATION_UPDATED,
    ORGANISATION_VERIFIED,
    RELATIONSHIP_DECLARED,
    RELATIONSHIP_WITHDRAWN,
    TITLE_GRANTED,
    TITLE_REVOKED,
)
from sihua_shared.service import ServiceSpec

from .adapters.account_tables import accounts, api_clients
from .adapters.call_tables import expert_profiles
from .api.accounts import router as accounts_router
from .api.clusters import router as clusters_router
from .api.ecosystem import router as ecosystem_router
from .api.enterprise_file import router as enterprise_file_router
from .api.notifications import router as notifications_router
from .api.oauth import router as oauth_router
from .api.organisation_import import router as organisation_import_router
from .api.organisations import router as organisations_router
from .api.password_reset import router as password_reset_router
from .api.pilot_pool import router as pilot_pool_router
from .api.relationships import router as relationships_router
from .api.selection import SELECTION_EVENTS, SELECTION_ROUTERS
from .api.sign_up import router as sign_up_router
from .api.titles import router as titles_router
from .api.verification import router as verification_router
from .application.call_jobs import call_jobs
from .application.enterprise_file import enterprise_file_subscriptions
from .application.notifications import notification_jobs, notification_subscriptions
from .application.titles import title_subscriptions
from .application.verification_notices import verification_notice_subscriptions

_REFUSED = union_all(select(accounts.c.id.label("id")).where(accounts.c.active.is_(False)),
                     select(api_clients.c.client_id.label("id")).where(api_clients.c.active.is_(False))).subquery("refused")

SPEC = ServiceSpec(
    name="registry",
    title="平台登记与遴选 / organisations, calls, review, titles",
    description=(
        "征集 · 遴选: organisations, accounts, calls, applications, expert review, titles, "
        "the pilot pool and the enterprise file."
    ),
    publishes=[ORGANISATION_REGISTERED, ORGANISATION_UPDATED, TITLE_GRANTED, TITLE_REVOKED, ENTERPRISE_ENROLLED, ENTERPRISE_REMOVED,
                ACCOUNT_DEACTIVATED, ACCOUNT_REACTIVATED, *SELECTION_EVENTS,
                # issue 10 §2: the expert pool, the conflict data, ecosystem alliances and cluster members
                EXPERT_PROFILE_SET, EXPERT_LEFT_POOL, RELATIONSHIP_DECLARED, RELATIONSHIP_WITHDRAWN,
                ECOSYSTEM_PARTNER_CONFIRMED, ECOSYSTEM_PARTNER_ENDED, CLUSTER_MEMBER_APPROVED, CLUSTER_MEMBER_REMOVED,
                # issue 10 §1: verification of organisations that signed themselves up
                ORGANISATION_VERIFIED, ORGANISATION_REJECTED],
    subscriptions=merge_subscriptions(enterprise_file_subscriptions(), notification_subscriptions(), title_subscriptions(),
                                      verification_notice_subscriptions()),
    routers=[
        organisation_import_router,  # before organisations_router: /organisations/import-template is not an id
        organisations_router,
        verification_router,
        relationships_router,
        ecosystem_router,
        clusters_router,
        pilot_pool_router,
        enterprise_file_router,
        oauth_router,
        accounts_router,
        password_reset_router,
        sign_up_router,
        notifications_router,
        titles_router,
        *SELECTION_ROUTERS,
    ],
    background=[notification_jobs, call_jobs],
    # The registry's api refuses deactivated accounts and agency clients from its own tables, like the others from
    # their read models.
    deactivated_accounts=select(_REFUSED.c.id),
    # Experts withdrawn from the pool: accounts with a pool profile that no longer hold the role (their live tokens
    # lose it; the next ones are issued without it).
    withdrawn_experts=select(accounts.c.id).join(expert_profiles, expert_profiles.c.account_id == accounts.c.id)
    .where(~accounts.c.roles.contains(["expert"])),
    # A password reset ends the account's live access tokens too: those issued before it are refused. Access tokens
    # live minutes (SIHUA_ACCESS_TOKEN_MINUTES), so a day of resets bounds the set.
    revoked_before=select(accounts.c.id, accounts.c.password_changed_at).where(
        accounts.c.password_changed_at > accounts.c.created_at, accounts.c.password_changed_at > func.now() - timedelta(days=1)),
)
