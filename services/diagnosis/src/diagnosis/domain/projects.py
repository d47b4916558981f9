"""Diagnosis projects (S0 二(四)): the rules of assignment, pure.

A project goes ``assigned`` → ``completed`` (the provider's on-site assessment with its report) or
``assigned`` → ``cancelled`` (by officials). Only a provider holding a valid, unrevoked diagnosis-provider
title on the assignment date may receive new projects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sihua_shared.statemachine import Machine


def fee_exceeds_cap(fee_fen: int | None, cap_fen: int | None) -> bool:
    """Whether an agreed fee passes the jurisdiction's cap (Guangzhou: 20万元 = 20,000,000 fen, S0 三(三)); the cap
    is data, so a city without one (``None``) bounds the fee only by what the column holds."""
    return fee_fen is not None and cap_fen is not None and fee_fen > cap_fen

STATES = ("assigned", "completed", "cancelled")
MACHINE: Machine[str, str] = Machine(
    "diagnosis project", "诊断项目", STATES,
    {("assigned", "complete"): "completed", ("assigned", "cancel"): "cancelled"},
    {"assigned": "已指派", "completed": "已完成", "cancelled": "已取消"},
    {"complete": "完成项目", "cancel": "取消项目"},
)


def transition(state: str, action: str) -> str:
    """The project's state after ``action``; raises ``TransitionNotAllowed`` naming the allowed actions."""
    return MACHINE.step(state, action)


@dataclass(frozen=True)
class TitleView:
    kind: str
    valid_from: date | None
    valid_until: date | None
    revoked_on: date | None


def title_allows_assignment(title: TitleView, on: date) -> bool:
    """A diagnosis-provider title counts on ``on`` when it has started, not expired and not been revoked."""
    if title.kind != "diagnosis_provider":
        return False
    if title.revoked_on is not None and title.revoked_on <= on:
        return False
    if title.valid_from is not None and on < title.valid_from:
        return False
    return title.valid_until is None or on <= title.valid_until
