"""Diagnosis projects (S0 二(四)): the rules of assignment, pure.

A project goes ``assigned`` → ``completed`` (the provider's on-site assessment with its report) or
``assigned`` → ``cancelled`` (by officials). Only a provider holding a valid, unrevoked diagnosis-provider
title on the assignment date may receive new projects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sihua_shared.statemachine import Machine

MAX_FEE_FEN = 20_000_000
"""The agreed fee of one enterprise's diagnosis project is at most 20万元 = 20,000,000 fen (S0 三(三): 每个企业
“四化”评估诊断项目最高不超过20万元)."""

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
