"""The catalog's access policy: who may see or change which products, admission reviews and adaptation records.

Routes and use cases ask (handbook §5 "Access"), in the shape registry's and diagnosis's policies have: each
function answers a ``Scope`` over a resource's attributes (``organisation``, ``district``, ``assigned``), decided
for one resource with ``Scope.admits`` and turned into a list's SQL condition with ``sihua_shared.access_sql.where``
in the application layer (``application/access.py``). Pure: no framework, no database.

A provider sees and changes only its own products (and edits only its own open drafts); an expert sees only the
products whose admission panel they sit on; district officers see their district's providers' products; city
officers and auditors every one; city officers take the review steps and delist. The public showcase (admitted,
listed products) needs no sign-in (handbook §6).
"""

from __future__ import annotations

from sihua_shared.access import EVERYTHING, NOTHING, Scope, any_of, assigned, overseen, own
from sihua_shared.actor import Actor

from .product import PROVIDER_STEPS

ORGANISATION = "organisation"  # the providing organisation
DISTRICT = "district"  # the provider's district
PANEL = "assigned"  # the experts on the open version's admission panel

# Roles admitted to operations (the routes' first gate; the scopes then pick the rows).
PRODUCT_EDITORS = ("provider",)
PRODUCT_READERS = ("provider", "expert", "district_officer", "city_officer", "auditor")
REVIEWERS = ("city_officer",)
STEP_TAKERS = ("provider", "city_officer")
EXPERTS = ("expert",)
OFFICIAL_VIEWERS = ("district_officer", "city_officer", "auditor")
VERIFIERS = ("third_party",)  # the third-party organisation's accounts record adaptation verifications
ADAPTATION_READERS = (*PRODUCT_READERS, "third_party")


def products(actor: Actor) -> Scope:
    """Products in any state: the providing organisation its own, officials by district, the experts assigned to
    the admission review theirs; city officers and auditors every one."""
    return any_of(overseen(actor), own(actor, *PRODUCT_EDITORS), assigned(actor))


def editable(actor: Actor) -> Scope:
    """Whose drafts the actor edits: a provider its own organisation's."""
    return own(actor, *PRODUCT_EDITORS)


def review_step(actor: Actor, action: str) -> Scope:
    """The products on which ``actor`` may take the review step ``action``: the provider submits its own; the city
    takes every other step (S2 五(三): 市工业和信息化局组织入库审核)."""
    if action in PROVIDER_STEPS:
        return own(actor, *PRODUCT_EDITORS)
    return EVERYTHING if actor.is_city else NOTHING


def delisting(actor: Actor) -> bool:
    return actor.is_city


def scoring(actor: Actor) -> Scope:
    """An expert scores only the products whose panel they sit on."""
    return assigned(actor)


def sees_whole_panel(actor: Actor) -> bool:
    """Officials see every member's scores; an expert their own."""
    return actor.has("city_officer", "district_officer", "auditor")


def adaptation_readers(actor: Actor) -> Scope:
    """Adaptation records of a product: whoever sees the product, and the third-party organisation (the verifier)."""
    return products(actor) | (EVERYTHING if actor.has(*VERIFIERS) else NOTHING)


def may_verify(actor: Actor) -> bool:
    return actor.org is not None and actor.has(*VERIFIERS)


def officials_view(actor: Actor) -> Scope:
    """Queues, statistics and exports: the city and auditors every product, a district officer their district's."""
    return overseen(actor)
DELISTERS = ("city_officer",)
PANEL_READERS = ("expert", "district_officer", "city_officer", "auditor")

CONSENTED = "consented"  # the organisations an enterprise consented to (diagnosis consent facts)
RECOMMENDATION_READERS = ("enterprise", "provider", "third_party", "district_officer", "city_officer", "auditor")


def recommendations(actor: Actor) -> Scope:
    """An enterprise's recommendations: the enterprise itself, the providers (or third party) it consented to,
    officials by district; city officers and auditors every enterprise's."""
    consented = Scope.where(consented=actor.org) if actor.has("provider", "third_party") else NOTHING
    return any_of(overseen(actor), own(actor, "enterprise"), consented)

MEMBERS = "members"  # the cluster's member enterprises
PROVIDER = "provider"  # the organisation providing the product
GROUP_PURCHASE_OPENERS = ("cluster_body",)
ENROLLERS = ("enterprise",)
GROUP_PURCHASE_READERS = ("cluster_body", "enterprise", "provider", "district_officer", "city_officer", "auditor")


def group_purchases(actor: Actor) -> Scope:
    """A group purchase: its cluster body, the cluster's member enterprises, the product's provider, officials by the
    cluster body's district; city officers and auditors every one."""
    members = Scope.where(members=actor.org) if actor.has(*ENROLLERS) else NOTHING
    provider = Scope.where(provider=actor.org) if actor.has(*PRODUCT_EDITORS) else NOTHING
    return any_of(overseen(actor), own(actor, *GROUP_PURCHASE_OPENERS), members, provider)


def runs_group_purchase(actor: Actor) -> Scope:
    """Closing and recording delivery: the cluster body that opened it."""
    return own(actor, *GROUP_PURCHASE_OPENERS)


def sees_every_enrolment(actor: Actor) -> bool:
    """An enterprise sees its own enrolment; the cluster body, the provider and officials every one."""
    return not actor.has(*ENROLLERS) or actor.has("cluster_body", "provider", "district_officer", "city_officer", "auditor")

RATERS = ("enterprise",)
RATING_READERS = ("enterprise", "provider", "expert", "third_party", "cluster_body", "district_officer", "city_officer",
                  "auditor")
MODERATORS = ("city_officer",)


def sees_hidden_comments(actor: Actor) -> bool:
    """A hidden comment (and the reason) shows to the city and auditors; to everyone else only its score counts."""
    return actor.has("city_officer", "auditor")

PLATFORM_ACCOUNTS = ("provider",)  # a key platform's accounts (its organisation holds a valid key_platform title)
SOLUTION_READERS = ("enterprise", "provider", "expert", "third_party", "cluster_body", "district_officer",
                    "city_officer", "auditor")
WORK_PLAN_READERS = ("provider", "district_officer", "city_officer", "auditor")
PARTNERS = "partners"
PUBLISHED_ = "published"


def solutions(actor: Actor) -> Scope:
    """Published solutions every signed-in reader; drafts their lead and partner platforms; city and auditors all."""
    lead = own(actor, *PLATFORM_ACCOUNTS)
    partner = Scope.where(partners=actor.org) if actor.has(*PLATFORM_ACCOUNTS) else NOTHING
    everything = EVERYTHING if actor.has("city_officer", "auditor") else NOTHING
    return any_of(Scope.where(published=True), lead, partner, everything)


def work_plans(actor: Actor) -> Scope:
    """A work plan: its platform; the city and auditors every one (district officers too: platforms serve the city)."""
    officials = EVERYTHING if actor.has("city_officer", "auditor", "district_officer") else NOTHING
    return any_of(own(actor, *PLATFORM_ACCOUNTS), officials)
