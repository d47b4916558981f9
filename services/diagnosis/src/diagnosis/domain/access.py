"""Diagnosis's access policy: who may see and fill assessments, see and act on diagnosis projects, and see
and withdraw consents — by role, ownership (an enterprise its own), district (a district officer their
district) and assignment (a provider the projects and assessments assigned to it).

Each function answers a ``Scope`` over a resource's attributes; the application layer decides one resource
with ``Scope.admits`` and filters lists with the same scope in SQL (``application.access``). Pure: no
framework, no database. An actor holding several roles gets the union of what each role allows.
"""

from __future__ import annotations

from sihua_shared.access import EVERYTHING, NOTHING, SEE_ALL, Scope, any_of, in_charge, overseen
from sihua_shared.actor import Actor

from .assessments import FILLER_ROLES

# Attributes resources are described by.
ENTERPRISE = "enterprise"  # the enterprise assessed / served
DISTRICT = "district"  # the enterprise's district
STATE = "state"
KIND = "kind"
FILLED_BY = "filled_by"  # the organisation filling an assessment on the enterprise's behalf
PROVIDER = "provider"  # the diagnosis provider a project is assigned to
GRANTEE = "grantee"  # the organisation a consent is given to

# Roles admitted to operations (the route's first gate; the scopes below then pick the rows).
READERS = ("enterprise", "provider", "third_party", "expert", "district_officer", "city_officer", "auditor")
FILLERS = ("enterprise", "provider", "third_party")
OFFICIALS = ("city_officer", "district_officer", "auditor")
EDITION_MANAGERS = ("city_officer",)
PROJECT_ASSIGNERS = ("city_officer", "district_officer")
# The finance bureau's officers read every diagnosis project (the agreed fee and the completion are what it pays
# on, S0 三(三)) and nothing else of diagnosis: no assessment, report or consent (enterprise data).
FINANCE = ("finance",)
PROJECT_READERS = (*PROJECT_ASSIGNERS, "auditor", *FINANCE, "provider", "enterprise")
PROJECT_COMPLETERS = ("provider",)
ENTERPRISES = ("enterprise",)  # consents are the enterprise's to give and withdraw
CONSENT_READERS = ("enterprise", "provider", "third_party", "city_officer", "auditor")


def assessments(actor: Actor) -> Scope:
    """An enterprise sees its own assessments (drafts too); a provider or third-party organisation those it
    fills (assigned to it); officials submitted ones (a district officer of their district); an expert submitted
    ones of the district it is bound to. An expert or assessor bound to no district sees only what was assigned
    to it — diagnosis assigns nothing to experts, so such an expert sees none."""
    submitted = EVERYTHING if actor.has(*SEE_ALL) else NOTHING
    if actor.has("district_officer", "expert"):
        submitted = submitted | Scope.where(district=actor.district)
    officials = Scope(tuple((*clause, (STATE, "submitted")) for clause in submitted.clauses))
    fillers = Scope.where(filled_by=actor.org) if actor.has(*FILLER_ROLES) else NOTHING
    own = Scope.where(enterprise=actor.org) if actor.has("enterprise") else NOTHING
    return any_of(officials, fillers, own)


def assessment_fillers(actor: Actor) -> Scope:
    """Answers, evidence and submission: the filling organisation; for a self-assessment also the enterprise."""
    fillers = Scope.where(filled_by=actor.org) if actor.has(*FILLER_ROLES) else NOTHING
    own = Scope.where(enterprise=actor.org, kind="self") if actor.has("enterprise") else NOTHING
    return fillers | own


def assesses_itself(actor: Actor, enterprise_id: str) -> bool:
    """An enterprise account assessing its own enterprise."""
    return actor.has("enterprise") and actor.org is not None and actor.org == enterprise_id


def own_enterprise(actor: Actor) -> str | None:
    """The enterprise an enterprise account assesses when it names none."""
    return actor.org if actor.has("enterprise") else None


def may_fill_for_others(actor: Actor) -> bool:
    """Whether the actor is an assessor of an organisation (a provider or the third party) at all."""
    return actor.org is not None and actor.has(*FILLER_ROLES)


def third_party_assessor(actor: Actor, organisation_kind: str | None) -> bool:
    """An assessor of the third-party organisation (its account holds the role and its organisation is one)."""
    return actor.has("third_party") and organisation_kind == "third_party"


def assigned_provider_assessor(actor: Actor) -> bool:
    """Whether an assignment to the actor's organisation could qualify it (a provider account)."""
    return actor.has("provider")


def projects(actor: Actor) -> Scope:
    """Officials see projects by district (city officers, auditors and the finance bureau all); a provider those
    assigned to it; an enterprise its own."""
    providers = Scope.where(provider=actor.org) if actor.has("provider") else NOTHING
    own = Scope.where(enterprise=actor.org) if actor.has("enterprise") else NOTHING
    return any_of(overseen(actor, (*SEE_ALL, *FINANCE)), providers, own)


def project_assigners(actor: Actor) -> Scope:
    """Who assigns an enterprise to a provider: the city anywhere, a district officer in their district."""
    return in_charge(actor)


def project_completers(actor: Actor) -> Scope:
    """Only the diagnosis provider the project is assigned to completes it."""
    return Scope.where(provider=actor.org) if actor.has("provider") else NOTHING


def consents(actor: Actor) -> Scope:
    """The city and auditors see every consent; the enterprise and the organisation it consented to theirs."""
    if actor.has(*SEE_ALL):
        return EVERYTHING
    return Scope.where(enterprise=actor.org) | Scope.where(grantee=actor.org)


def consent_revokers(actor: Actor) -> Scope:
    """Only the enterprise that granted a consent withdraws it."""
    return Scope.where(enterprise=actor.org) if actor.has("enterprise") else NOTHING


def programme_districts(actor: Actor) -> Scope:
    """Programme statistics: the whole city for city officers and auditors, a district officer their district
    (an account bound to no district is refused)."""
    return overseen(actor)


def programme_district(actor: Actor) -> str | None:
    """The district the programme views are limited to (None: the whole city)."""
    return None if actor.has(*SEE_ALL) else actor.district
