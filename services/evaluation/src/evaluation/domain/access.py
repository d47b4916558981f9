"""Evaluation's access policy: who may see or change which evaluation cycles, scores and verdicts.

The module routes and use cases ask (handbook §5 "Access"), in the shape registry's and diagnosis's policies
have: each function answers a ``Scope`` over a resource's attributes (``organisation``, ``district``,
``assigned``), decided for one resource with ``Scope.admits`` and turned into a list's SQL condition with
``sihua_shared.access_sql.where`` in the application layer. Pure: no framework, no database.

The service's routes so far are the operational ones, public by nature (health, readiness, metrics,
AsyncAPI), so nothing here is asked yet; the ranking of key platforms after a closed cycle will be public (§6).
"""

from __future__ import annotations

from sihua_shared.access import Scope, any_of, assigned, overseen, own
from sihua_shared.actor import Actor


def evaluations(actor: Actor) -> Scope:
    """A platform or traction unit its own evaluations; the experts assigned to score one theirs; officials
    by district; city officers and auditors every one."""
    return any_of(overseen(actor), own(actor, "provider", "enterprise"), assigned(actor))
