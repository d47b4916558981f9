"""Funding's access policy: who may see or change which transformation projects, acceptances and subsidies.

The module routes and use cases ask (handbook §5 "Access"), in the shape registry's and diagnosis's policies
have: each function answers a ``Scope`` over a resource's attributes (``organisation``, ``district``,
``assigned``), decided for one resource with ``Scope.admits`` and turned into a list's SQL condition with
``sihua_shared.access_sql.where`` in the application layer. Pure: no framework, no database.

The service's routes so far are the operational ones, public by nature (health, readiness, metrics,
AsyncAPI), so nothing here is asked yet.
"""

from __future__ import annotations

from sihua_shared.access import Scope, any_of, assigned, overseen, own
from sihua_shared.actor import Actor

# Who sees every subsidy: the city, auditors and the finance bureau's officers (who disburse them).
SUBSIDY_SEE_ALL = ("city_officer", "auditor", "finance")


def subsidies(actor: Actor) -> Scope:
    """An enterprise its own subsidies; officials by district; the experts assigned to an acceptance theirs;
    the city, auditors and finance every one."""
    return any_of(overseen(actor, SUBSIDY_SEE_ALL), own(actor, "enterprise"), assigned(actor))
