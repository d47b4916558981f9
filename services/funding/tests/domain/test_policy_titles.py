"""A measure that requires a title names a title kind of its jurisdiction: the registry's recognition titles
(issue 10 §3) are what funding pays on, so a code the jurisdiction does not know would refuse every claim."""

from __future__ import annotations

import pytest

from funding.domain.policies import shipped_policies
from sihua_shared.jurisdiction import load_jurisdiction


@pytest.mark.parametrize("code", ["guangzhou", "zhongshan"])
def test_every_required_title_is_a_title_kind_of_the_jurisdiction(code: str) -> None:
    kinds = set(load_jurisdiction(code).titles)
    required = {(p.policy_id, m.id, kind) for p in shipped_policies(code) for m in p.document.measures
                for kind in m.requires_title}
    assert all(kind in kinds for _, _, kind in required), sorted(r for r in required if r[2] not in kinds)
    if code == "zhongshan":
        assert {kind for _, _, kind in required} >= {"demonstration_factory", "demonstration_workshop"}
