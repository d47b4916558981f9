"""集中采购 (S2 三(六), 四 3), pure: a cluster body's group purchase of an admitted product version.

``open`` while enrolling (within its window, while places remain), ``closed`` when the cluster body ends the
enrolment; delivery is recorded per enrolled enterprise, open or closed. The negotiated price is at most the
catalogue price of the chosen package of the version in force.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sihua_shared.errors import conflict, invalid
from sihua_shared.statemachine import Machine


class State(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


MACHINE: Machine[State, str] = Machine(
    "group purchase", "集中采购", list(State), {(State.OPEN, "close"): State.CLOSED},
    state_labels={State.OPEN: "报名中", State.CLOSED: "已截止"}, action_labels={"close": "截止报名"},
)


def check_terms(*, price_fen: int, catalogue_price_fen: int, opens_on: date, closes_on: date, today: date) -> None:
    if price_fen > catalogue_price_fen:
        raise invalid("body.price_fen", "集中采购价格不得高于入库价格", "the negotiated price exceeds the catalogue price",
                      "price_above_catalogue")
    if closes_on < opens_on:
        raise invalid("body.closes_on", "截止日期不能早于开始日期", "the window closes before it opens", "window_reversed")
    if closes_on < today:
        raise invalid("body.closes_on", "截止日期不能早于今天", "the window closes in the past", "window_past")


def check_enrolment(*, state: str, opens_on: date, closes_on: date, today: date, taken: int, places: int) -> None:
    if state != State.OPEN:
        raise conflict("group_purchase_closed", "集中采购已截止报名", "the group purchase is closed")
    if not opens_on <= today <= closes_on:
        raise conflict("outside_window", "不在报名期内", "enrolment is outside the window")
    if taken >= places:
        raise conflict("no_places_left", "名额已满", "no places are left")
