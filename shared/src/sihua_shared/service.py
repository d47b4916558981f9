"""What a service is made of, declared once: its name, its HTTP routers, the events it publishes and
the reactions it subscribes to. The api, the worker and the AsyncAPI document are built from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter
from sqlalchemy import Select

from .consumer import Subscription
from .events import EventSpec


@dataclass
class ServiceSpec:
    name: str
    title: str
    description: str
    version: str = "0.1.0"
    publishes: list[EventSpec[Any]] = field(default_factory=list)
    subscriptions: list[Subscription] = field(default_factory=list)
    routers: list[APIRouter] = field(default_factory=list)
    # Extra coroutine factories the worker runs beside the relay and consumers.
    background: list[Any] = field(default_factory=list)
    # The ids of the accounts the registry deactivated, as this service knows them (its read model, or the
    # registry's own accounts): the api keeps them in memory and refuses their tokens (revocation.py).
    deactivated_accounts: Select[Any] | None = None
    # The ids of the experts withdrawn from the pool (``expert.left_pool``), as this service knows them: kept the same
    # way, their live tokens lose the role ``expert`` (the registry's next tokens no longer carry it).
    withdrawn_experts: Select[Any] | None = None
    # (account id, moment) rows: the account's access tokens issued before the moment are refused (a password reset).
    revoked_before: Select[Any] | None = None

    @property
    def consumes(self) -> list[EventSpec[Any]]:
        return [r.spec for s in self.subscriptions for r in s.reactions]

    @property
    def api_prefix(self) -> str:
        return f"/api/{self.name}/v1"
