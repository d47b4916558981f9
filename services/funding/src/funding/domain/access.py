"""Funding's access policy: who may see or act on applications, the award ledger and policy versions.

Each function answers a ``Scope`` over a resource's attributes (``organisation`` the applicant, ``district``);
the application layer decides one resource with ``Scope.admits`` and turns the same scope into a list's SQL
condition with ``sihua_shared.access_sql.where``. Pure: no framework, no database.

- An applicant (enterprise, platform, traction unit, provider, third party, cluster body) sees its own applications
  and awards; district officers their district; city officers, auditors and finance officers everything.
- Auditors and finance officers read and change nothing.
- Review (审核): a city officer or a third-party reviewer (never on its own organisation's application); approval
  (审批): a city officer, never the one who reviewed.
"""

from __future__ import annotations

from sihua_shared.access import EVERYTHING, NOTHING, Scope, any_of, overseen, own
from sihua_shared.actor import ROLES, Actor

ORGANISATION = "organisation"
DISTRICT = "district"

# Who sees every application and award: the city, auditors and the finance bureau's officers (who disburse them).
SUBSIDY_SEE_ALL = ("city_officer", "auditor", "finance")
APPLICANTS = ("enterprise", "provider", "third_party", "cluster_body")
READERS = (*APPLICANTS, "district_officer", "city_officer", "auditor", "finance")
REVIEWERS = ("city_officer", "third_party")
APPROVERS = ("city_officer",)
POLICY_MANAGERS = ("city_officer",)
POLICY_READERS = ROLES  # policies are public texts: every authenticated caller reads them


def subsidies(actor: Actor) -> Scope:
    """An applicant its own applications and awards; district officers their district; the city, auditors and
    finance every one."""
    return any_of(overseen(actor, SUBSIDY_SEE_ALL), own(actor, *APPLICANTS))


def applications(actor: Actor) -> Scope:
    """As ``subsidies``; a third-party reviewer (S2 四(三)5) also sees the applications it may review."""
    return subsidies(actor) | (EVERYTHING if actor.has("third_party") else NOTHING)


def editors(actor: Actor) -> Scope:
    """Submitting (and so drafting) is the applicant's own."""
    return own(actor, *APPLICANTS)


def reviewers(actor: Actor) -> Scope:
    """City officers review every application; a third-party reviewer those it sees as a reviewer (all of them),
    except its own organisation's (checked by ``reviews_own``)."""
    return EVERYTHING if actor.has(*REVIEWERS) else NOTHING


def reviews_own(actor: Actor, applicant_id: str) -> bool:
    """A reviewer never reviews its own organisation's application."""
    return actor.org is not None and actor.org == applicant_id


def approvers(actor: Actor) -> Scope:
    return EVERYTHING if actor.has(*APPROVERS) else NOTHING
