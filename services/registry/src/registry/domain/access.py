"""The registry's access policy: who may see or change which organisations, applications, titles, pilot
enrolments, objections and calls — by role, ownership (an organisation sees its own), district (a district
officer their district) and assignment (an expert the applications whose panel they sit on).

Each function answers a ``Scope`` over a resource's attributes; the application layer decides one resource
with ``Scope.admits`` and filters lists with the same scope in SQL (``application.access``). Pure: no
framework, no database. An actor holding several roles gets the union of what each role allows.
"""

from __future__ import annotations

from sihua_shared.access import EVERYTHING, NOTHING, Scope, any_of, assigned, overseen
from sihua_shared.access import SEE_ALL as SEE_ALL  # the shared rules this policy answers with as they are
from sihua_shared.access import in_charge as in_charge
from sihua_shared.access import own as own
from sihua_shared.actor import ROLES, Actor

from .call_application_state import APPLICANT_ACTIONS

# Attributes a resource is described by (the keys of the dicts ``Scope.admits`` reads and the SQL maps).
ORGANISATION = "organisation"  # the owning organisation's id
DISTRICT = "district"  # the owning organisation's district
PANEL = "assigned"  # the experts sitting on an application's panel (not declined)
FILED_BY = "filed_by"  # the account that filed an objection
ACCOUNT = "account"  # the account a notification is addressed to

# Roles admitted to operations (the route's first gate; the scopes below then pick the rows).
CITY_ONLY = ("city_officer",)
OFFICIALS = ("city_officer", "district_officer")
EXPERTS = ("expert",)
APPLICANT_ROLES = ("enterprise", "provider", "third_party")
PANEL_READERS = ("city_officer", "district_officer", "auditor", "expert")
TIE_BREAKERS = ("city_officer", "expert")  # the city, or the chair of every tied application's panel
ACCOUNT_MANAGERS = ("city_officer", "district_officer", "enterprise", "provider")
ACCOUNT_READERS = ("city_officer", "district_officer", "auditor")
CLIENT_READERS = ("city_officer", "auditor")  # agencies' client credentials (never their secrets)
# The finance bureau's officers (``finance``) read what paying the funds needs — every organisation (the payee) and
# every title (the basis of a payment) — and nothing else here: not relationships (conflict data), the pilot pool,
# applications' content or accounts. They change nothing in the registry.
FINANCE = ("finance",)
# Who reads every organisation: the city, auditors, the finance bureau and integrating services.
ORGANISATION_SEE_ALL = (*SEE_ALL, *FINANCE, "service")
ORGANISATION_EDITORS = ("city_officer", "district_officer", "enterprise", "provider", "third_party")
RELATIONSHIP_READERS = (*ORGANISATION_EDITORS, "auditor", "service")
ORGANISATION_LISTERS = (*RELATIONSHIP_READERS, *FINANCE)
ORGANISATION_READERS = (*ORGANISATION_LISTERS, "expert")
# Who reads the whole pilot pool: the city, auditors, integrating services and the third-party organisation that
# runs the pilot's assessments and records for the city (S2 三(九)).
POOL_SEE_ALL = ("city_officer", "auditor", "service", "third_party")
POOL_READERS = (*OFFICIALS, "auditor", "service", "third_party", "enterprise")
TITLE_SEE_ALL = (*SEE_ALL, *FINANCE)
TITLE_READERS = (*TITLE_SEE_ALL, "district_officer", "provider", "enterprise")
# Everyone signed in as a person has an inbox; agency clients do not.
PEOPLE = tuple(r for r in ROLES if r != "service")
ENTERPRISE_FILE_READERS = ("enterprise", "district_officer", "city_officer", "auditor")


def organisations(actor: Actor) -> Scope:
    """An organisation sees itself; officials their district; the city, auditors and services every one."""
    return overseen(actor, ORGANISATION_SEE_ALL) | own(actor)


# Who verifies or rejects an organisation that signed itself up: a district officer of its district, a city officer.
VERIFIERS = OFFICIALS


def verifiers(actor: Actor) -> Scope:
    """The organisations whose sign-up ``actor`` verifies or rejects: the city every one, a district officer those
    of their district."""
    return in_charge(actor)


def organisation_officials(actor: Actor) -> Scope:
    """Officials who change any field of an organisation and withdraw its relationships."""
    return in_charge(actor)


def applications(actor: Actor) -> Scope:
    """The applicant its own; an expert those whose panel they sit on; a district officer their district's;
    city officers and auditors every one."""
    return any_of(overseen(actor), own(actor, *APPLICANT_ROLES), assigned(actor))


def applicant(actor: Actor) -> Scope:
    """Who acts on an application as its applicant: the applying organisation's enterprise or provider accounts."""
    return own(actor, *APPLICANT_ROLES)


# Who takes which step of an application (the routes check the same): the applicant its own steps (``APPLICANT_ACTIONS``),
# the officials in charge the formal check, the city the decision (shortlist, select, reject).
FORMAL_CHECK_STEPS = frozenset({"start_formal_check", "pass_formal_check", "return_for_revision"})


def application_step(actor: Actor, action: str) -> Scope:
    """The applications on which ``actor`` may take the step ``action``."""
    if action in APPLICANT_ACTIONS:
        return applicant(actor)
    if action in FORMAL_CHECK_STEPS:
        return in_charge(actor)
    return EVERYTHING if actor.is_city else NOTHING


def call_step(actor: Actor, action: str) -> bool:
    """Editing, opening and closing a call are the city's."""
    return actor.is_city


def may_apply(actor: Actor) -> bool:
    return actor.org is not None and actor.has(*APPLICANT_ROLES)


def titles(actor: Actor) -> Scope:
    """City officers and auditors see every title; a district officer those of their district's organisations;
    a holder (a provider, or an enterprise selected as a traction unit) its own; the finance bureau every one."""
    return overseen(actor, TITLE_SEE_ALL) | own(actor)


def pilot_pool(actor: Actor) -> Scope:
    """The whole pool for the city, auditors, services and the third party; a district officer their district;
    an enterprise its own enrolments."""
    return overseen(actor, POOL_SEE_ALL) | own(actor)


def enterprise_file(actor: Actor) -> Scope:
    """An enterprise's file: the enterprise itself, officials of its district, the city and auditors."""
    return overseen(actor) | own(actor)


def registration_districts(actor: Actor) -> Scope:
    """Where organisations are registered or imported: a district officer in their own district only. The routes
    admit officials alone; the system's own loaders (demo data) are not limited."""
    if actor.is_city or not actor.has("district_officer"):
        return EVERYTHING
    return Scope.where(district=actor.district)


def default_district(actor: Actor, district: str | None) -> str | None:
    """A district officer registers in their own district when none is named."""
    if district is None and not actor.is_city and actor.has("district_officer"):
        return actor.district
    return district


def objections(actor: Actor) -> Scope:
    """Officials and auditors see every objection; whoever filed one sees theirs."""
    return (EVERYTHING if actor.has(*SEE_ALL) else NOTHING) | Scope.where(filed_by=actor.id)


def sees_objectors(actor: Actor) -> bool:
    """Who objected is for officials only."""
    return actor.has(*SEE_ALL)


def draft_calls(actor: Actor) -> bool:
    """A draft call is not published: only the city and auditors see it."""
    return actor.has(*SEE_ALL)


def sees_whole_panel(actor: Actor) -> bool:
    """Officials see every panel member's line (and the declined ones); an expert their own (or all as chair)."""
    return actor.has("city_officer", "district_officer", "auditor")


def settles_ties_as_city(actor: Actor) -> bool:
    """A city officer settles any tie; otherwise only the chair of every tied application's panel."""
    return actor.is_city


def may_chair_tie_breaks(actor: Actor) -> bool:
    return actor.has("expert")


def reads_account(actor: Actor, account_id: str) -> bool:
    """An account reads itself; auditors read every account (managers are decided by ``account_rules``)."""
    return account_id == actor.id or actor.has("auditor")


def account_districts(actor: Actor) -> Scope | None:
    """Which accounts an official lists: every one (city officers, auditors), their district's, or — for an
    official bound to no district — none at all (``None``: refused)."""
    if actor.has(*SEE_ALL):
        return EVERYTHING
    return Scope.where(district=actor.district) if actor.district else None


def notifications(actor: Actor) -> Scope:
    """An account reads its own inbox only."""
    return Scope.where(account=actor.id)


# Account management: a city officer manages every account; a district officer enterprise, provider and
# district-officer accounts of their own district (an organisation's account is in the organisation's district);
# an enterprise or provider account colleagues of its own organisation with its own role — never officials.
ORGANISATION_ROLES = ("enterprise", "provider")
DISTRICT_GRANTABLE = frozenset({"enterprise", "provider", "district_officer"})


def account_refusal(
    actor: Actor, roles: frozenset[str], organisation_id: str | None, district: str | None
) -> tuple[str, frozenset[str]] | None:
    """Why ``actor`` may not create or manage an account with these roles and place — ``("role_not_grantable",
    roles)``, ``("outside_district", ∅)`` or ``("not_owner", ∅)`` — or None when it may."""
    if actor.is_city:
        return None
    if actor.has("district_officer") and actor.district:
        if not roles <= DISTRICT_GRANTABLE:
            return "role_not_grantable", roles - DISTRICT_GRANTABLE
        return None if district == actor.district else ("outside_district", frozenset())
    own_roles = actor.roles.intersection(ORGANISATION_ROLES)
    if own_roles and actor.org:
        if not roles <= own_roles:
            return "role_not_grantable", roles - own_roles
        return None if organisation_id == actor.org else ("not_owner", frozenset())
    return "role_not_grantable", roles


# ---- 产业生态联合体 and 特色产业集群 --------------------------------------------------------------
# An ecosystem membership is described by both organisations: ``organisation`` and ``district`` hold the traction
# unit's and the partner's. A cluster member by the enterprise and the cluster body, in the member's district.

ALLIANCE_MEMBER_ROLES = ("enterprise", "provider", "third_party")  # the accounts that act for an organisation
ECOSYSTEM_DECLARERS = ("enterprise", "provider")  # a traction unit's own accounts
ECOSYSTEM_ENDERS = (*ALLIANCE_MEMBER_ROLES, "city_officer")
ECOSYSTEM_READERS = (*ALLIANCE_MEMBER_ROLES, "district_officer", "city_officer", "auditor", "service")
CLUSTER_CREATORS = ("cluster_body", "city_officer")
CLUSTER_READERS = tuple(r for r in ROLES)  # a cluster (name, district, sector) is no secret to anyone signed in
CLUSTER_MEMBER_READERS = ("cluster_body", "enterprise", "district_officer", "city_officer", "auditor", "service")


def ecosystem(actor: Actor) -> Scope:
    """Either side of a membership sees it; officials of either side's district; the city, auditors, services all."""
    return overseen(actor, (*SEE_ALL, "service")) | own(actor, *ALLIANCE_MEMBER_ROLES)


def ecosystem_declarer(actor: Actor) -> Scope:
    """Who declares partners for a traction unit: its own accounts."""
    return own(actor, *ECOSYSTEM_DECLARERS)


def ecosystem_partner(actor: Actor) -> Scope:
    """Who confirms or declines for the partner: the partner's own accounts (the resource's ``organisation``)."""
    return own(actor, *ALLIANCE_MEMBER_ROLES)


def ecosystem_ender(actor: Actor) -> Scope:
    """Either side's accounts, or a city officer, end a membership."""
    return (EVERYTHING if actor.is_city else NOTHING) | own(actor, *ALLIANCE_MEMBER_ROLES)


def cluster_owner(actor: Actor) -> Scope:
    """Who names a cluster body's cluster: the body's own accounts (role cluster_body), or a city officer."""
    return (EVERYTHING if actor.is_city else NOTHING) | own(actor, "cluster_body")


def cluster_recommender(actor: Actor) -> Scope:
    """Who recommends an enterprise as a member: a district officer of the cluster's district, or the city."""
    return in_charge(actor)


def cluster_members(actor: Actor) -> Scope:
    """The cluster body its cluster's members, an enterprise its own memberships, officials their district's, the
    city, auditors and services all."""
    return overseen(actor, (*SEE_ALL, "service")) | own(actor, "cluster_body", "enterprise")


def cluster_approver(actor: Actor) -> bool:
    """The city approves or rejects a recommendation (经市工业和信息化局评审)."""
    return actor.is_city


def cluster_remover(actor: Actor) -> Scope:
    """The city, or the district officer of the member's district, removes a member."""
    return in_charge(actor)
