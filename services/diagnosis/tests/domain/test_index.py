"""The index as versioned data: the shipped 2024 edition, the checks on load, variants and the content hash
(handbook §2 index, §2.4 discrepancies, §6 machine-readable shape)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
import yaml

from diagnosis.domain.index import check_edition, content_hash, edition_from_document, load_edition_text
from diagnosis.domain.problems import EditionInvalid
from diagnosis.domain.scoring import score_assessment

from .kit import CONSTRAINED, FULL, SCENES, build, edition, node, payload, raw_2024, scenes

Tree = dict[str, Any]


# -- the shipped edition, as in the handbook ------------------------------------------------------------


def test_shipped_edition_names_its_source_by_the_handbook_section() -> None:
    """The file cites the handbook by section, never by a path on some machine."""
    text = resources.files("diagnosis").joinpath("editions", "index-2024.yaml").read_text(encoding="utf-8")
    source = next(line for line in text.splitlines() if line.startswith("# Source:"))
    assert "§2 The 2024 index" in source
    assert "/" not in source and ".md" not in text


def test_shipped_edition_shape_handbook_2() -> None:
    e = edition()
    assert e.id == "2024" and e.document.issuer is not None and e.document.issuer.doc_no == "工信厅企业〔2024〕56号"
    assert list(e.items) == [f"Q{i}" for i in range(1, 16)]
    assert e.dimension_ids == ("foundation", "management", "outcomes")
    assert [d.name for d in e.document.dimensions] == ["数字化基础", "数字化经营", "数字化管理", "数字化成效"]
    assert list(e.scene_ids) == SCENES
    assert sorted(e.constrained["default"]) == CONSTRAINED  # handbook §2.3: 10 ★ scenes
    assert [g.scenes for g in e.document.scene_groups] == [SCENES[0:4], SCENES[4:10], SCENES[10:12], SCENES[12:16]]
    assert e.scene_level_range == (0, 4) and e.top_level == 4
    assert [e.level_name(level) for level in range(5)] == ["未达一级", "一级", "二级", "三级", "四级"]
    # Q4's business links are the scenes minus 协同办公 and 决策支持 (handbook §2.3)
    q4 = e.items["Q4"].spec.options
    assert [o.scene for o in q4 if o.scene] == SCENES[:14]
    assert [o.label for o in q4[1:]] == [e.scenes[s].name for s in SCENES[:14]]


MAXIMA = [("Q1", 8000), ("Q2", 6000), ("Q3", 6000), ("Q4", 10000), ("Q5", 10000), ("Q6", 5000), ("Q7", 5000), ("Q8", 7500),
          ("Q9", 7500), ("Q10", 7500), ("Q11", 7500), ("Q12", 7000), ("Q13", 7000), ("Q14", 3000), ("Q15", 3000)]  # fmt: skip


@pytest.mark.parametrize(("item", "max_milli"), MAXIMA)
def test_item_maxima_handbook_2_2(item: str, max_milli: int) -> None:
    assert edition().items[item].max_milli == max_milli


def test_rungs_handbook_3_1() -> None:
    rungs = [r.model_dump() for r in edition().document.level_rules.rungs]  # type: ignore[union-attr]
    assert rungs == [
        {"level": 1, "min_score_milli": 20000, "scene_level": 1, "min_scenes": 6, "min_constrained": 3},
        {"level": 2, "min_score_milli": 40000, "scene_level": 2, "min_scenes": 6, "min_constrained": 3},
        {"level": 3, "min_score_milli": 60000, "scene_level": 3, "min_scenes": 8, "min_constrained": 5},
        {"level": 4, "min_score_milli": 80000, "scene_level": 4, "min_scenes": 10, "min_constrained": 6},
    ]


def test_every_node_carries_a_provenance_label() -> None:
    doc = edition().document
    nodes: list[Any] = [*doc.levels, *doc.dimensions, *doc.inputs, *doc.items, *doc.scene_groups, *doc.scenes, *doc.profiles]
    nodes += [i.derive for i in doc.items if i.derive] + [doc.level_rules]
    stack = [ind for d in doc.dimensions for ind in d.indicators]
    while stack:
        ind = stack.pop()
        nodes.append(ind)
        stack += ind.indicators
    assert all(n.provenance in {"OFFICIAL", "PLATFORM", "3P", "RECONSTRUCTED"} for n in nodes)
    assert doc.level_rules.provenance == "3P" and doc.provenance == "PLATFORM"
    assert set(doc.provenance_labels) == {"OFFICIAL", "PLATFORM", "3P", "RECONSTRUCTED"}


# -- handbook §2.4: the [PLATFORM] reading is in force; the other is beside it, one edit away -----------


def test_platform_readings_in_force_handbook_2_4() -> None:
    e = edition()
    f = e.items["Q8"].spec.options[-1]
    assert f.label == "定期组织员工去数字化建设成效较好的同行业公司参观交流，增强数字化转型意识" and f.pts_milli == 7500
    assert e.scenes["S01"].levels[4].startswith("运用仿真分析等技术")
    assert e.scenes["S12"].constrained is True
    assert {c.path: (c.chosen, c.alternatives) for c in e.choices} == {
        "items.Q8.options.F.label": ("PLATFORM", ("3P",)),
        "scenes.S01.levels": ("PLATFORM", ("3P",)),
        "scenes.S02.levels": ("PLATFORM", ("3P",)),
        "scenes.S04.levels": ("PLATFORM", ("3P",)),
        "scenes.S08.levels": ("PLATFORM", ("3P",)),
        "scenes.S09.levels": ("PLATFORM", ("3P",)),
        "scenes.S12.constrained": ("PLATFORM", ("3P",)),
    }
    assert "Q2/Q3" in (e.items["Q11"].spec.note or "")


def _choose_3p(*path: str | int) -> Callable[[Tree], None]:
    return lambda tree: node(tree, *path).update(choose="3P")


def test_switching_q8_option_f_is_one_edit_handbook_2_4_1() -> None:
    tree = raw_2024()
    _choose_3p("items", "Q8", "options", "F", "label")(tree)
    e = build(tree)
    assert e.items["Q8"].spec.options[-1].label == "已经能够输出数字化转型成果或经验供同行借鉴"
    assert e.provenance()["choices"]["items.Q8.options.F.label"] == "3P"
    assert e.content_hash != edition().content_hash


@pytest.mark.parametrize("scene", ["S01", "S02", "S04", "S08", "S09"])
def test_switching_level_3_4_descriptors_handbook_2_4_2(scene: str) -> None:
    tree = raw_2024()
    _choose_3p("scenes", scene, "levels")(tree)
    swapped = build(tree).scenes[scene].levels
    platform = edition().scenes[scene].levels
    assert (swapped[3], swapped[4]) == (platform[4], platform[3])
    assert (swapped[1], swapped[2]) == (platform[1], platform[2])


def test_nine_constrained_scenes_is_one_edit_handbook_2_4_5() -> None:
    tree = raw_2024()
    _choose_3p("scenes", "S12", "constrained")(tree)
    nine = build(tree)
    assert sorted(nine.constrained["default"]) == [s for s in CONSTRAINED if s != "S12"]
    # 四级 needs C(4) ≥ 6: S12 plus five other ★ scenes at 4 are six under ten, five under nine
    levels = scenes(3, l4=["S12", "S01", "S03", "S06", "S07", "S08", "S02", "S04", "S05", "S14"])
    assert score_assessment(edition(), payload(FULL, levels)).level == 4
    result = score_assessment(nine, payload(FULL, levels))
    assert result.level == 3 and result.provenance.choices["scenes.S12.constrained"] == "3P"


def test_sector_profile_overrides_constrained_scenes_handbook_4() -> None:
    tree = raw_2024()
    tree["profiles"].append({"id": "textiles", "name": "纺织服装加工", "provenance": "RECONSTRUCTED",
                             "constrained_scenes": ["S03", "S05", "S06", "S07", "S11", "S12"]})  # fmt: skip
    e = build(tree)
    levels = scenes(0, l1=["S03", "S05", "S06", "S02", "S04", "S14"])  # three ★ under textiles, two under default
    assert score_assessment(e, payload(FULL, levels, profile="textiles")).level == 1
    assert score_assessment(e, payload(FULL, levels)).level == 0


# -- checks on load: a broken edition is refused with every problem --------------------------------------
BROKEN: list[tuple[str, Callable[[Tree], None], list[tuple[str, str]]]] = [
    ("multi options do not add up", lambda t: node(t, "items", "Q1", "options", "B").update(pts_milli=2500),
     [("items.Q1", "edition.maxima")]),
    ("item maximum off the weight cascade", lambda t: node(t, "items", "Q5").update(max_milli=9000),
     [("indicators.foundation.systems.coverage", "edition.maxima"), ("items.Q5.options.E", "edition.option_points"),
      ("items.Q5", "edition.maxima")]),
    ("weights do not add up to 100", lambda t: node(t, "dimensions", "outcomes", "indicators", "outcomes.green").update(weight_pct=40),
     [("dimensions.outcomes", "edition.weights"), ("indicators.outcomes.green.energy", "edition.maxima")]),
    ("dimension maxima do not add up", lambda t: node(t, "dimensions", "outcomes").update(max_milli=25000),
     [("indicators.outcomes.green.energy", "edition.maxima"), ("indicators.outcomes.quality.pass_rate", "edition.maxima"),
      ("indicators.outcomes.market.revenue", "edition.maxima"), ("indicators.outcomes.market.cost", "edition.maxima"),
      ("dimensions", "edition.maxima")]),
    ("an exclusive option with points", lambda t: node(t, "items", "Q6", "options", "B").update(exclusive=True),
     [("items.Q6.options.B", "edition.exclusive_points")]),
    ("an option id twice", lambda t: node(t, "items", "Q7", "options", "C").update(id="B"),
     [("items.Q7.options.B", "edition.duplicate_id")]),
    ("an item placed nowhere", lambda t: node(t, "dimensions", "management", "indicators", "management.resources", "indicators",
                                              "management.resources.funding").update(items=["Q10"]),
     [("items.Q10", "edition.item_placement"), ("items.Q11", "edition.item_placement")]),
    ("a band gap", lambda t: node(t, "items", "Q11", "options", "B", "band").update(lo=11),
     [("items.Q11.options", "edition.bands")]),
    ("a trend option twice", lambda t: node(t, "items", "Q12", "options", "B").update(trend="worse"),
     [("items.Q12.options", "edition.option_fit")]),
    ("a derivation on an input the item lacks", lambda t: node(t, "items", "Q3", "derive").update(numerator="digital_devices"),
     [("items.Q3.derive", "edition.derive_input")]),
    ("an unknown input", lambda t: node(t, "items", "Q15", "inputs").append("profit"),
     [("items.Q15.inputs", "edition.unknown_input")]),
    ("a scene descriptor missing", lambda t: node(t, "scenes", "S05", "levels").pop(4),
     [("scenes.S05.levels", "edition.scene_descriptors")]),
    ("a scene in no group", lambda t: node(t, "scene_groups", "management_decisions", "scenes").remove("S16"),
     [("scenes.S16", "edition.scene_groups")]),
    ("a profile naming an unknown scene",
     lambda t: t["profiles"].append({"id": "x", "name": "x", "provenance": "3P", "constrained_scenes": [*CONSTRAINED[:5], "S99"]}),
     [("profiles.x", "edition.unknown_scene")]),
    ("a ladder that is not monotone", lambda t: node(t, "level_rules", "rungs", 2).update(min_scenes=5),
     [("level_rules.rungs.3", "edition.rungs_not_monotone")]),
    ("an unreachable rung", lambda t: node(t, "level_rules", "rungs", 3).update(min_constrained=11),
     [("level_rules.rungs.4", "edition.rung_unreachable")]),
    ("a variant label that is not a provenance label", lambda t: node(t, "items", "Q8", "options", "F", "label").update(choose="OTHER"),
     [("items.Q8.options.F.label", "edition.variant")]),
    ("a wrong type", lambda t: node(t, "items", "Q2").update(type="ranking"), [("items.Q2.type", "edition.structure")]),
    ("a wrong type inside a derivation", lambda t: node(t, "items", "Q2", "derive").update(numerator=5),
     [("items.Q2.derive.numerator", "edition.structure")]),
    ("a missing provenance", lambda t: node(t, "scenes", "S07").pop("provenance"), [("scenes.S07.provenance", "edition.structure")]),
    ("an unknown provenance label", lambda t: node(t, "items", "Q9").update(provenance="RUMOUR"),
     [("items.Q9.provenance", "edition.structure")]),
]  # fmt: skip


@pytest.mark.parametrize(("breaks", "expected"), [(b, e) for _, b, e in BROKEN], ids=[n for n, _, _ in BROKEN])
def test_broken_edition_is_refused_with_its_problems(breaks: Callable[[Tree], None], expected: list[tuple[str, str]]) -> None:
    tree = raw_2024()
    breaks(tree)
    with pytest.raises(EditionInvalid) as caught:
        edition_from_document(tree)
    assert [(p.field, p.code) for p in caught.value.problems] == expected
    assert all(p.message_zh and p.message_en for p in caught.value.problems)


def test_all_problems_are_listed_together() -> None:
    tree = raw_2024()
    for _, breaks, _ in (BROKEN[0], BROKEN[11], BROKEN[14]):
        breaks(tree)
    found = {(p.field, p.code) for p in check_edition(tree)}
    assert found == {("items.Q1", "edition.maxima"), ("scenes.S05.levels", "edition.scene_descriptors"),
                     ("level_rules.rungs.3", "edition.rungs_not_monotone")}  # fmt: skip
    with pytest.raises(EditionInvalid, match="edition_invalid: items.Q1"):
        edition_from_document(tree)


def test_not_yaml_is_refused() -> None:
    with pytest.raises(EditionInvalid) as caught:
        load_edition_text("schema: [unclosed")
    assert caught.value.problems[0].code == "edition.yaml"


# -- the content hash: stable, changes with meaning only ---------------------------------------------------


def test_content_hash_is_stable_and_ignores_layout() -> None:
    tree = raw_2024()
    assert content_hash(tree) == edition().content_hash
    relaid = yaml.safe_dump(tree, allow_unicode=True, default_flow_style=True, width=60)
    assert load_edition_text("# a comment\n" + relaid).content_hash == edition().content_hash
    node(tree, "scenes", "S16", "levels")[4] += "。"
    assert content_hash(tree) != edition().content_hash


def test_recompute_reports_what_an_edited_edition_changes() -> None:
    from diagnosis.domain.scoring import recompute

    levels = scenes(3, l4=["S12", "S01", "S03", "S06", "S07", "S08", "S02", "S04", "S05", "S14"])
    data = payload(FULL, levels)
    stored = score_assessment(edition(), data).to_dict()
    again, changed = recompute(edition(), data, stored)
    assert changed == [] and again.to_dict() == stored
    tree = raw_2024()
    _choose_3p("scenes", "S12", "constrained")(tree)
    _, changed = recompute(build(tree), data, stored)
    assert changed == ["binding", "constrained_scenes", "edition_hash", "edition_version", "level", "level_by_scenes", "level_name",
                       "next_level_gap", "provenance", "scene_counts"]  # fmt: skip
