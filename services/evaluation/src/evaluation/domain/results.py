"""One provider's result in a cycle and its due process (S0 二(六), issue 15 §5), as a state machine. Pure.

computed ──issue (passing grade)──────────────────────────────────────────────▶ issued
computed ──notify (failing)──▶ rectifying ──recheck (window over)──▶ proposed ──issue (no appeal, window over)──▶ issued
                                                                     proposed ──appeal (once, within window)──▶ appealed
                                                                     appealed ──decide (another official)──▶ decided ──issue──▶ issued
"""

from __future__ import annotations

from sihua_shared.errors import DomainError, conflict, forbidden
from sihua_shared.statemachine import Machine

from .model import FAILING

STATES = ("computed", "rectifying", "proposed", "appealed", "decided", "issued")
MACHINE: Machine[str, str] = Machine(
    "evaluation result", "评价结果", STATES,
    {
        ("computed", "issue"): "issued",
        ("computed", "notify"): "rectifying",
        ("rectifying", "recheck"): "proposed",
        ("proposed", "appeal"): "appealed",
        ("proposed", "issue"): "issued",
        ("appealed", "decide"): "decided",
        ("decided", "issue"): "issued",
    },
    {"computed": "已计算", "rectifying": "整改中", "proposed": "已拟定结论", "appealed": "申诉中", "decided": "申诉已处理",
     "issued": "结论已发布"},
    {"issue": "发布结论", "notify": "下达整改通知", "recheck": "复核", "appeal": "申诉", "decide": "处理申诉"},
)


def transition(state: str, action: str) -> str:
    return MACHINE.step(state, action)


def check_issue_computed(grade: str) -> None:
    """A failing computed grade is never final at once: notice and rectification come first."""
    if grade == FAILING:
        raise conflict("notice_first", "不合格结果须先下达整改通知、整改、复核并拟定结论",
                       "a failing result goes through notice, rectification and re-check before a verdict")


def check_notify(grade: str) -> None:
    if grade != FAILING:
        raise conflict("not_failing", "仅不合格结果需下达整改通知", "only a failing result is given notice")


def check_window_over(today: object, until: object, what_zh: str, what_en: str) -> None:
    if until is not None and today <= until:  # type: ignore[operator]
        raise conflict("window_open", f"{what_zh}期限（至 {until}）尚未届满", f"the {what_en} runs until {until}")


def check_within_appeal_window(today: object, until: object) -> None:
    if until is None or today > until:  # type: ignore[operator]
        raise conflict("appeal_window_closed", f"申诉期限已过（至 {until}）", f"the appeal window closed on {until}")


def check_different_official(decider: str, proposer: str | None) -> DomainError | None:
    """The appeal is decided by an official other than the one who proposed the verdict."""
    if proposer is not None and decider == proposer:
        return forbidden("申诉须由拟定结论以外的其他官员处理", "an appeal is decided by another official than the proposer")
    return None
