"""What counts of an enterprise's assessments (domain.assessments): an unverified or rejected enterprise's
assessments are practice (they do not count and are never an official record); a verified enterprise's
self-assessments count; a pilot enterprise's official record comes from the on-site assessment."""

from __future__ import annotations

import pytest

from diagnosis.domain.assessments import counts, official_record

# (verification, in the pilot, kind) -> (counts, official record)
TABLE = [
    ("unverified", False, "self", False, False),
    ("unverified", False, "onsite", False, False),
    ("rejected", False, "self", False, False),
    ("verified", False, "self", True, True),
    ("verified", True, "self", True, False),
    ("verified", True, "onsite", True, True),
    (None, False, "self", True, True),  # an organisation no verification fact told about
    (None, True, "onsite", True, True),
]


@pytest.mark.parametrize(("verification", "pilot", "kind", "counting", "official"), TABLE)
def test_what_counts(verification: str | None, pilot: bool, kind: str, counting: bool, official: bool) -> None:
    assert counts(verification) is counting
    assert official_record(kind, pilot, counts(verification)) is official
