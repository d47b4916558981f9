"""The agreed fee of a diagnosis project against the jurisdiction's cap (S0 三(三): 最高不超过20万元), as data."""

import pytest

from diagnosis.domain.projects import fee_exceeds_cap
from sihua_shared.jurisdiction import load_jurisdiction


@pytest.mark.parametrize(
    ("fee", "cap", "exceeds"),
    [
        (20_000_000, 20_000_000, False),  # S0 三(三): exactly 20万元 is allowed
        (20_000_001, 20_000_000, True),
        (0, 20_000_000, False),
        (None, 20_000_000, False),  # no fee agreed
        (20_000_001, None, False),  # a city that sets no cap
    ],
)
def test_fee_against_cap(fee: int | None, cap: int | None, exceeds: bool) -> None:
    assert fee_exceeds_cap(fee, cap) is exceeds


def test_the_cap_is_jurisdiction_data() -> None:
    guangzhou = load_jurisdiction("guangzhou").diagnosis_fee_cap
    assert guangzhou is not None and guangzhou.amount_fen == 20_000_000 and guangzhou.source == "S0 三(三)"
    assert load_jurisdiction("zhongshan").diagnosis_fee_cap is None
