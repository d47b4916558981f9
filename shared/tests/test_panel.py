"""The shared panel draw (遴选, S0 二(二): 公平、公正、公开): conflicts of interest through the relationship graph,
reproducible draws from a seed, recusal and replacement, field matching. Registry's call review and catalog's
admission review both draw with it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sihua_shared.panel as panel_module
from sihua_shared.errors import DomainError
from sihua_shared.panel import (
    ApplicationRef,
    ConflictGraph,
    ExclusionReason,
    Expert,
    FieldMatching,
    Relationship,
    RelationshipKind,
    assign_panel,
    panel_seed,
    replace_declined,
)

R = RelationshipKind

# Organisations: the applicant "app-org"; its shareholder "holding"; a sister company "sister" in the holding's group;
# "ex-employer" that the applicant's CTO left (staff move) — reached only through the sister; unrelated "uni-*".
RELATIONSHIPS = [
    Relationship("app-org", "holding", R.SHAREHOLDING),
    Relationship("sister", "holding", R.GROUP_MEMBERSHIP),
    Relationship("ex-employer", "sister", R.STAFF_MOVE),
    Relationship("uni-9", "uni-8", R.GROUP_MEMBERSHIP),
]
GRAPH = ConflictGraph(RELATIONSHIPS)
APPLICATION = ApplicationRef("application-1", "app-org", frozenset({"industrial_internet"}))

POOL = [
    Expert("e01", "app-org"),
    Expert("e02", "holding"),
    Expert("e03", "sister"),
    Expert("e04", "ex-employer"),
    Expert("e05", "uni-1", frozenset({"industrial_internet"})),
    Expert("e06", "uni-2", frozenset({"smart_manufacturing"})),
    Expert("e07", "uni-3", frozenset({"industrial_internet", "ai"})),
    Expert("e08", "uni-4", declared_conflicts=frozenset({"holding"})),
    Expert("e09", "uni-5", frozenset({"industrial_green"})),
    Expert("e10", "uni-6", frozenset({"industrial_internet"}), can_chair=False),
    Expert("e11", "uni-7", frozenset({"sme_management"})),
    Expert("e12", "uni-8", frozenset({"industrial_internet"})),
    Expert("e13", "uni-9"),
]
CONFLICTED = {"e01", "e02", "e03", "e04", "e08"}


# ---- the conflict graph ---------------------------------------------------------------------------------------


def test_relationships_are_undirected_and_transitive() -> None:
    assert GRAPH.related("app-org") == {"holding", "sister", "ex-employer"}
    assert GRAPH.related("ex-employer") == {"sister", "holding", "app-org"}
    assert GRAPH.related("uni-8") == {"uni-9"}
    assert GRAPH.related("nobody") == frozenset()
    assert GRAPH.conflicted("app-org", "app-org")
    assert GRAPH.conflicted("app-org", "ex-employer") and GRAPH.conflicted("ex-employer", "app-org")
    assert not GRAPH.conflicted("app-org", "uni-8")


def test_direct_relations_only_when_asked() -> None:
    direct = ConflictGraph(RELATIONSHIPS, transitive=False)
    assert direct.related("app-org") == {"holding"}
    assert direct.related("sister") == {"holding", "ex-employer"}


# ---- assignment ----------------------------------------------------------------------------------------------------

EXCLUSIONS = [
    ("own organisation", "e01", ExclusionReason.SAME_ORGANISATION),
    ("shareholder (direct)", "e02", ExclusionReason.RELATED_ORGANISATION),
    ("same group via the shareholder (transitive)", "e03", ExclusionReason.RELATED_ORGANISATION),
    ("staff move, two steps away (transitive)", "e04", ExclusionReason.RELATED_ORGANISATION),
    ("self-declared conflict with a related organisation", "e08", ExclusionReason.DECLARED_CONFLICT),
]


@pytest.mark.parametrize(("case", "expert", "reason"), EXCLUSIONS, ids=[e[0] for e in EXCLUSIONS])
def test_conflicted_experts_are_never_drawn(case: str, expert: str, reason: ExclusionReason) -> None:
    for seed in range(50):
        panel = assign_panel(APPLICATION, POOL, size=5, seed=seed, graph=GRAPH)
        assert expert not in panel.members
        assert {x.expert_id: x.reason for x in panel.excluded}[expert] is reason
        assert not set(panel.members) & CONFLICTED


def test_the_draw_is_reproducible_from_the_seed() -> None:
    first = assign_panel(APPLICATION, POOL, size=5, seed=20260105, graph=GRAPH)
    again = assign_panel(APPLICATION, list(reversed(POOL)), size=5, seed=20260105, graph=GRAPH)
    assert again == first  # input order does not matter
    assert len(first.members) == 5 and len(set(first.members)) == 5
    assert sorted(first.draw_order) == sorted(e.expert_id for e in POOL)
    # pinned: a recorded seed must keep producing the same panel in later versions
    assert first.members == ("e10", "e06", "e05", "e09", "e07")
    assert first.chair == "e06"  # e10 was drawn first but may not chair: the next member in draw order chairs


def test_different_seeds_draw_differently() -> None:
    panels = {assign_panel(APPLICATION, POOL, size=5, seed=seed, graph=GRAPH).members for seed in range(20)}
    assert len(panels) > 10


def test_every_eligible_expert_gets_drawn_over_many_seeds() -> None:
    drawn = set()
    for seed in range(200):
        drawn |= set(assign_panel(APPLICATION, POOL, size=3, seed=seed, graph=GRAPH).members)
    assert drawn == {e.expert_id for e in POOL} - CONFLICTED


def test_a_declined_member_is_replaced_and_the_others_stay() -> None:
    panel = assign_panel(APPLICATION, POOL, size=5, seed=7, graph=GRAPH)
    leaving = panel.members[2]
    replaced = replace_declined(panel, leaving, APPLICATION, POOL, graph=GRAPH)
    assert leaving not in replaced.members
    assert set(panel.members) - {leaving} <= set(replaced.members)
    assert len(replaced.members) == 5
    assert replaced.chair == panel.chair
    assert replaced.declined == {leaving}
    assert {x.expert_id: x.reason for x in replaced.excluded}[leaving] is ExclusionReason.DECLINED
    # the same result from the record alone: seed + declined set
    assert assign_panel(APPLICATION, POOL, size=5, seed=7, graph=GRAPH, declined={leaving}) == replaced


def test_when_the_chair_declines_the_next_member_in_draw_order_chairs() -> None:
    panel = assign_panel(APPLICATION, POOL, size=5, seed=7, graph=GRAPH)
    replaced = replace_declined(panel, panel.chair, APPLICATION, POOL, graph=GRAPH)
    assert replaced.chair == next(m for m in panel.members if m != panel.chair)


def test_only_members_can_decline() -> None:
    panel = assign_panel(APPLICATION, POOL, size=3, seed=1, graph=GRAPH)
    outsider = next(e.expert_id for e in POOL if e.expert_id not in panel.members and e.expert_id not in CONFLICTED)
    with pytest.raises(DomainError) as info:
        replace_declined(panel, outsider, APPLICATION, POOL, graph=GRAPH)
    assert info.value.code == "not_a_panel_member"


def test_a_member_who_may_not_chair_is_skipped_for_chair() -> None:
    only_e10_first = [Expert("e10", "uni-6", can_chair=False), Expert("e05", "uni-1")]
    for seed in range(10):
        panel = assign_panel(APPLICATION, only_e10_first, size=2, seed=seed)
        assert panel.chair == "e05"
    with pytest.raises(DomainError) as info:
        assign_panel(APPLICATION, [Expert("e10", "uni-6", can_chair=False)], size=1, seed=1)
    assert info.value.code == "no_chair_available"


def test_not_enough_experts() -> None:
    with pytest.raises(DomainError) as info:
        assign_panel(APPLICATION, POOL, size=9, seed=1, graph=GRAPH)
    assert info.value.code == "not_enough_experts"
    assert info.value.details == {"needed": 9, "eligible": 8, "pool": 13}


def test_field_matching() -> None:
    matching = {"e05", "e07", "e10", "e12"}
    for seed in range(30):
        required = assign_panel(APPLICATION, POOL, size=3, seed=seed, graph=GRAPH, field_matching=FieldMatching.REQUIRE)
        assert set(required.members) <= matching
        preferred = assign_panel(APPLICATION, POOL, size=5, seed=seed, graph=GRAPH, field_matching=FieldMatching.PREFER)
        assert set(preferred.members[:4]) == matching  # all matching experts first, then others fill the panel
        assert preferred.members[4] not in matching
    with pytest.raises(DomainError):
        assign_panel(APPLICATION, POOL, size=5, seed=1, graph=GRAPH, field_matching=FieldMatching.REQUIRE)


def test_duplicate_experts_refused() -> None:
    with pytest.raises(DomainError) as info:
        assign_panel(APPLICATION, [*POOL, POOL[-1]], size=3, seed=1, graph=GRAPH)
    assert info.value.code == "duplicate_expert"


def test_panel_seed_is_stable() -> None:
    assert panel_seed(20260105, "application-1") == panel_seed(20260105, "application-1")
    assert panel_seed(20260105, "application-1") != panel_seed(20260105, "application-2")
    assert panel_seed(20260105, "application-1") == 6013717283103491161  # pinned: derived seeds must not change


def test_the_module_is_pure() -> None:
    """No database, framework or bus: catalog draws over its read models with exactly this code."""
    tree = ast.parse(Path(panel_module.__file__).read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= {"__future__", "hashlib", "random", "collections.abc", "dataclasses", "enum"}
