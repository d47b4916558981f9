"""Transformation projects (数字化改造项目, S2 五(五)), pure: their lifecycle and the price corridor.

A verified pilot enterprise contracts a traction unit holding a valid title for admitted catalogue products;
the third-party organisation sets the approved investment (核定投入); the traction unit reports progress and
completes; acceptance follows (S2 五(六)(七)).

States: ``draft`` → ``submitted`` (contracted) → ``investment_approved`` → ``in_progress`` → ``completed`` →
``acceptance_applied`` → ``accepted`` | ``failed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sihua_shared.errors import invalid
from sihua_shared.statemachine import Machine

STATES = ("draft", "submitted", "investment_approved", "in_progress", "completed", "acceptance_applied", "accepted", "failed")
RUNNING = ("submitted", "investment_approved", "in_progress")


def _approved_investment(*, approved_investment_fen: int, declared_investment_fen: int) -> None:
    if approved_investment_fen > declared_investment_fen:
        raise invalid("body.approved_investment_fen", "核定投入不得高于申报投入", "the approved investment is never above the declared one",
                      "investment_above_declared")


def _completion(*, reports: int) -> None:
    if reports < 1:
        raise invalid("body", "完成前须至少报告一次进度", "a project reports its progress before it completes", "no_progress_reported")


MACHINE: Machine[str, str] = Machine(
    "transformation project", "改造项目", STATES,
    {("draft", "submit"): "submitted", ("submitted", "approve_investment"): "investment_approved",
     ("investment_approved", "report"): "in_progress", ("in_progress", "report"): "in_progress",
     ("in_progress", "complete"): "completed", ("completed", "apply_acceptance"): "acceptance_applied",
     ("acceptance_applied", "accept"): "accepted", ("acceptance_applied", "fail"): "failed"},
    {"draft": "草稿", "submitted": "已签约提交", "investment_approved": "已核定投入", "in_progress": "实施中", "completed": "已完成",
     "acceptance_applied": "已申请验收", "accepted": "验收通过", "failed": "验收未通过"},
    {"submit": "提交合同", "approve_investment": "核定投入", "report": "报告进度", "complete": "完成", "apply_acceptance": "申请验收",
     "accept": "验收通过", "fail": "验收不通过"},
    {"approve_investment": _approved_investment, "complete": _completion},
)


@dataclass(frozen=True)
class Line:
    product_id: str
    version: int
    package_code: str
    quantity: int
    unit_price_fen: int

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_price_fen


def priced(lines: list[Line], catalogue: Mapping[tuple[str, int], Mapping[str, int]]) -> tuple[list[dict[str, Any]], list[str]]:
    """Each line with its catalogue price and whether it is priced above it (the price corridor: flagged for
    review, not refused); and the problems: a line whose product version or package is not admitted."""
    out, problems = [], []
    for n, line in enumerate(lines):
        packages = catalogue.get((line.product_id, line.version))
        if packages is None or line.package_code not in packages:
            problems.append(f"body.lines.{n}")
            continue
        list_price = packages[line.package_code]
        out.append({"product_id": line.product_id, "version": line.version, "package_code": line.package_code,
                    "quantity": line.quantity, "unit_price_fen": line.unit_price_fen, "amount_fen": line.amount_fen,
                    "catalogue_price_fen": list_price, "above_catalogue_price": line.unit_price_fen > list_price})
    return out, problems
