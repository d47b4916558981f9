"""Industry common solutions (行业共性解决方案, S0 二(三)), pure: a key platform's draft is published at once when it
builds it alone; built jointly (联合共建) it waits until every partner platform confirmed."""

from __future__ import annotations

from enum import StrEnum

from sihua_shared.statemachine import Machine


class State(StrEnum):
    DRAFT = "draft"
    AWAITING_PARTNERS = "awaiting_partners"
    PUBLISHED = "published"


MACHINE: Machine[State, str] = Machine(
    "solution", "行业共性解决方案", list(State), {
        (State.DRAFT, "publish_alone"): State.PUBLISHED,
        (State.DRAFT, "ask_partners"): State.AWAITING_PARTNERS,
        (State.AWAITING_PARTNERS, "confirm"): State.AWAITING_PARTNERS,
        (State.AWAITING_PARTNERS, "publish_joint"): State.PUBLISHED,
    },
    state_labels={State.DRAFT: "草稿", State.AWAITING_PARTNERS: "待共建方确认", State.PUBLISHED: "已发布"},
    action_labels={"publish_alone": "发布", "ask_partners": "提请共建方确认", "confirm": "确认共建",
                   "publish_joint": "联合发布"},
)


def publish_action(partners: list[str]) -> str:
    return "ask_partners" if partners else "publish_alone"


def all_confirmed(partners: list[str], confirmations: dict[str, object]) -> bool:
    return all(p in confirmations for p in partners)
