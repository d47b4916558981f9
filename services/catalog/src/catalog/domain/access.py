"""The catalog's access policy: who may see or change which products, admission reviews and group purchases.

The module routes and use cases ask (handbook §5 "Access"), in the shape registry's and diagnosis's policies
have: each function answers a ``Scope`` over a resource's attributes (``organisation``, ``district``,
``assigned``), decided for one resource with ``Scope.admits`` and turned into a list's SQL condition with
``sihua_shared.access_sql.where`` in the application layer. Pure: no framework, no database.

The service's routes so far are the operational ones, public by nature (health, readiness, metrics,
AsyncAPI), so nothing here is asked yet; the admitted catalogue and its search will be public too (§6).
"""

from __future__ import annotations

from sihua_shared.access import Scope, any_of, assigned, overseen, own
from sihua_shared.actor import Actor

# Roles admitted to operations (the routes' first gate).
PRODUCT_EDITORS = ("provider",)


def products(actor: Actor) -> Scope:
    """Products not yet admitted: the providing organisation its own, officials by district, the experts
    assigned to the admission review theirs; city officers and auditors every one."""
    return any_of(overseen(actor), own(actor, *PRODUCT_EDITORS), assigned(actor))


def group_purchases(actor: Actor) -> Scope:
    """A cluster body its own group purchases; officials by district."""
    return overseen(actor) | own(actor, "cluster_body")
