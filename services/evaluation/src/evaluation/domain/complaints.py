"""Complaints (投诉) an enterprise files about a provider that served it: filed, then upheld or dismissed once by a
city officer with a reason. Upheld ones count in the provider's ``complaints`` indicator. Pure."""

from __future__ import annotations

from typing import Literal

from sihua_shared.errors import conflict

FILED = "filed"
UPHELD = "upheld"
Outcome = Literal["upheld", "dismissed"]
State = Literal["filed", "upheld", "dismissed"]


def check_decidable(state: str) -> None:
    """A complaint is decided once: only a filed one takes a decision."""
    if state != FILED:
        raise conflict("complaint_decided", "该投诉已认定，不能重复认定", "the complaint was decided already")
