"""The organisation a use case acts for when the body may name one (a city officer acting for it) or leave it to the
actor's own: 422 on ``field`` when there is neither, 403 ``not_owner`` unless the scope lets the actor act for it."""

from __future__ import annotations

from sihua_shared.access import Scope
from sihua_shared.auth import Actor
from sihua_shared.errors import forbidden, invalid

from ..domain.access import ORGANISATION
from .access import ensure


def acting_for(
    actor: Actor, named: str | None, scope: Scope, *, field: str, missing: tuple[str, str], refusal: tuple[str, str]
) -> str:
    """``named`` or the actor's organisation; ``missing`` and ``refusal`` are the (zh, en) messages."""
    organisation_id = named or actor.org
    if organisation_id is None:
        raise invalid(field, *missing)
    ensure(scope, {ORGANISATION: organisation_id}, forbidden(*refusal, field=field, code="not_owner"))
    return organisation_id
