"""The rules that make an edition file whole: every problem is collected, none stops the check.

Checked here: ids are unique; indicator weights sum to 100 and cascade to each item's maximum
(handbook §2.1: item max = dimension points × weight % × weight %); the dimension maxima add up to the
score scale; options fit their item (single: best option = maximum; multi: options sum to the maximum;
an exclusive option scores 0; ratio items have bands covering 0–100 %, trend items one option per
trend); inputs exist and are used. Scenes, profiles and the ladder: ``ladder_rules``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from fractions import Fraction

from diagnosis.domain.edition_schema import (
    PROVENANCE_LABELS,
    SCHEMA_ID,
    Dimension,
    EditionDocument,
    Indicator,
    Item,
    RatioDerivation,
)
from diagnosis.domain.ladder_rules import check_rules, check_scenes
from diagnosis.domain.problems import duplicates
from diagnosis.domain.problems import problem as _p
from sihua_shared.errors import Problem


def check_document(doc: EditionDocument) -> list[Problem]:
    """All the problems of a structurally valid edition document; an empty list means it may be loaded."""
    problems: list[Problem] = []
    if doc.schema_id != SCHEMA_ID:
        problems.append(
            _p("schema", "schema", f"不支持的格式 {doc.schema_id}", f"unsupported schema {doc.schema_id!r}; expected {SCHEMA_ID!r}")
        )
    if set(doc.provenance_labels) != set(PROVENANCE_LABELS):
        problems.append(
            _p(
                "provenance_labels",
                "provenance_labels",
                "来源标签应恰为 OFFICIAL、PLATFORM、3P、RECONSTRUCTED",
                f"provenance_labels must describe exactly {', '.join(PROVENANCE_LABELS)}",
            )
        )
    problems += duplicates("dimensions", (d.id for d in doc.dimensions))
    problems += duplicates("indicators", (i.id for d in doc.dimensions for i in _walk(d.indicators)))
    problems += duplicates("items", (i.id for i in doc.items))
    problems += duplicates("inputs", (i.id for i in doc.inputs))
    problems += duplicates("scenes", (s.id for s in doc.scenes))
    problems += duplicates("scene_groups", (g.id for g in doc.scene_groups))
    problems += duplicates("profiles", (p.id for p in doc.profiles))
    problems += _check_dimensions(doc)
    problems += _check_inputs(doc)
    scene_ids = {s.id for s in doc.scenes}
    for item in doc.items:
        problems += _check_item(item, {i.id for i in doc.inputs}, scene_ids)
    problems += check_scenes(doc)
    problems += check_rules(doc)
    return problems


def _walk(indicators: Iterable[Indicator]) -> Iterable[Indicator]:
    for ind in indicators:
        yield ind
        yield from _walk(ind.indicators)


def _check_dimensions(doc: EditionDocument) -> list[Problem]:
    problems: list[Problem] = []
    items = {i.id: i for i in doc.items}
    placed: Counter[str] = Counter()
    total = 0
    for dim in doc.dimensions:
        field = f"dimensions.{dim.id}"
        if dim.assessed_by == "scenes":
            if dim.max_milli or dim.indicators:
                problems.append(
                    _p(field, "dimension_shape", "以场景评级的维度不计分", "a dimension assessed by scenes has no points or indicators")
                )
            continue
        if dim.max_milli is None:
            problems.append(_p(f"{field}.max_milli", "maxima", "计分维度缺少满分", "a scored dimension needs max_milli"))
            continue
        total += dim.max_milli
        problems += _check_indicators(dim, dim.indicators, Fraction(dim.max_milli), field, items, placed)
    if total != doc.score_scale_milli:
        problems.append(
            _p(
                "dimensions",
                "maxima",
                f"各维度满分之和 {total} 不等于总分 {doc.score_scale_milli}",
                f"dimension maxima add up to {total}, not score_scale_milli {doc.score_scale_milli}",
            )
        )
    for item_id in items:
        if placed[item_id] != 1:
            problems.append(
                _p(
                    f"items.{item_id}",
                    "item_placement",
                    f"题目 {item_id} 应恰属于一个末级指标（现为 {placed[item_id]} 个）",
                    f"item {item_id} must sit under exactly one leaf indicator (found {placed[item_id]})",
                )
            )
    return problems


def _check_indicators(
    dim: Dimension, children: list[Indicator], points: Fraction, field: str, items: dict[str, Item], placed: Counter[str]
) -> list[Problem]:
    problems: list[Problem] = []
    if not children:
        problems.append(_p(field, "indicator_shape", "缺少下级指标", "no indicators below this node"))
        return problems
    weights = sum((c.weight_pct for c in children), start=0)
    if weights != 100:
        problems.append(_p(field, "weights", f"下级指标权重之和为 {weights}%，应为 100%", f"child weights add up to {weights}%, not 100%"))
    for child in children:
        child_field = f"indicators.{child.id}"
        child_points = points * Fraction(child.weight_pct) / 100
        if child.items and child.indicators:
            problems.append(
                _p(child_field, "indicator_shape", "指标不能同时含下级指标和题目", "an indicator holds either indicators or items")
            )
        elif child.indicators:
            problems += _check_indicators(dim, child.indicators, child_points, child_field, items, placed)
        elif not child.items:
            problems.append(_p(child_field, "indicator_shape", "末级指标没有题目", "a leaf indicator lists no items"))
        else:
            known = [items[i] for i in child.items if i in items]
            for item_id in child.items:
                placed[item_id] += 1
                if item_id not in items:
                    problems.append(_p(child_field, "unknown_item", f"引用了不存在的题目 {item_id}", f"unknown item {item_id}"))
            if child_points.denominator != 1:
                problems.append(
                    _p(
                        child_field,
                        "weights",
                        f"权重折算分值 {float(child_points)} 不是整数千分点",
                        f"weights give {float(child_points)} milli-points, not an integer",
                    )
                )
            elif len(known) == len(child.items) and sum(i.max_milli for i in known) != child_points:
                got = sum(i.max_milli for i in known)
                problems.append(
                    _p(
                        child_field,
                        "maxima",
                        f"题目满分之和 {got} 与权重折算分值 {child_points} 不符",
                        f"item maxima add up to {got}; the weights give {child_points}",
                    )
                )
    return problems


def _check_inputs(doc: EditionDocument) -> list[Problem]:
    problems: list[Problem] = []
    ids = {i.id for i in doc.inputs}
    used = {name for item in doc.items for name in item.inputs}
    for spec in doc.inputs:
        field = f"inputs.{spec.id}"
        if spec.at_most is not None and (spec.at_most not in ids or spec.at_most == spec.id):
            problems.append(
                _p(
                    f"{field}.at_most",
                    "unknown_input",
                    f"上限引用的输入项 {spec.at_most} 无效",
                    f"at_most names no other input: {spec.at_most}",
                )
            )
        if spec.max is not None and spec.max < spec.min:
            problems.append(_p(field, "input_range", "上限小于下限", "max is below min"))
        if spec.id not in used:
            problems.append(_p(field, "input_unused", "没有题目使用该输入项", "no item uses this input"))
    return problems


def _check_item(item: Item, input_ids: set[str], scene_ids: set[str]) -> list[Problem]:
    field = f"items.{item.id}"
    problems = duplicates(f"{field}.options", (o.id for o in item.options))
    if not item.options:
        return [*problems, _p(f"{field}.options", "options", "题目没有选项", "the item has no options")]
    points = [o.pts_milli for o in item.options]
    for opt in item.options:
        opt_field = f"{field}.options.{opt.id}"
        if opt.pts_milli > item.max_milli:
            problems.append(_p(opt_field, "option_points", "选项分值超过题目满分", "option points exceed the item maximum"))
        if opt.exclusive and opt.pts_milli:
            problems.append(_p(opt_field, "exclusive_points", "排他选项（无）应为 0 分", "an exclusive option (无) scores 0"))
        if opt.scene is not None and opt.scene not in scene_ids:
            problems.append(_p(opt_field, "unknown_scene", f"选项关联的场景 {opt.scene} 不存在", f"unknown scene {opt.scene}"))
    if item.type == "single" and max(points) != item.max_milli:
        problems.append(
            _p(
                field,
                "maxima",
                f"单选题最高选项分值 {max(points)} 不等于满分 {item.max_milli}",
                f"best option scores {max(points)}, not the maximum {item.max_milli}",
            )
        )
    if item.type == "multi":
        if sum(points) != item.max_milli:
            problems.append(
                _p(
                    field,
                    "maxima",
                    f"多选题选项分值之和 {sum(points)} 不等于满分 {item.max_milli}",
                    f"options add up to {sum(points)}, not the maximum {item.max_milli}",
                )
            )
        if all(o.exclusive for o in item.options):
            problems.append(_p(field, "options", "多选题至少需要一个非排他选项", "a multi-choice item needs a non-exclusive option"))
    for name in item.inputs:
        if name not in input_ids:
            problems.append(_p(f"{field}.inputs", "unknown_input", f"引用了不存在的输入项 {name}", f"unknown input {name}"))
    return problems + _check_derivation(item, field)


def _check_derivation(item: Item, field: str) -> list[Problem]:
    derive = item.derive
    problems: list[Problem] = []
    if derive is None:
        if any(o.band or o.trend for o in item.options):
            problems.append(
                _p(
                    field,
                    "option_fit",
                    "没有推导规则的题目，选项不应带区间或趋势",
                    "options carry bands or trends but the item derives nothing",
                )
            )
        return problems
    if item.type != "single":
        problems.append(_p(f"{field}.derive", "option_fit", "只有单选题可由数值推导", "only single-choice items can be derived"))
    refs = derive.uses()
    if not isinstance(derive, RatioDerivation) and (derive.per_last is None) != (derive.per_prev is None):
        problems.append(_p(f"{field}.derive", "derive", "上年与前年的分母应同时给出", "per_last and per_prev go together"))
    for ref in refs:
        if ref not in item.inputs:
            problems.append(
                _p(
                    f"{field}.derive",
                    "derive_input",
                    f"推导规则引用的 {ref} 不在题目输入项中",
                    f"derivation uses {ref}, not among the item's inputs",
                )
            )
    if isinstance(derive, RatioDerivation):
        return problems + _check_bands(item, field)
    if any(o.band for o in item.options) or sorted(o.trend or "" for o in item.options) != ["better", "flat", "worse"]:
        problems.append(
            _p(
                f"{field}.options",
                "option_fit",
                "趋势题应恰有“变差、持平、变好”三个选项",
                "a trend item needs exactly one option per trend: worse, flat, better",
            )
        )
    return problems


def _check_bands(item: Item, field: str) -> list[Problem]:
    bad = _p(f"{field}.options", "bands", "比例区间应无重叠、无缺口地覆盖 0–100%", "bands must cover 0–100 % without gaps or overlaps")
    if any(o.band is None or o.trend for o in item.options):
        return [_p(f"{field}.options", "option_fit", "比例题的每个选项都需要区间", "every option of a ratio item needs a band")]
    bands = sorted((o.band for o in item.options if o.band is not None), key=lambda b: (b.lo, not b.lo_incl))
    if bands[0].lo != 0 or not bands[0].lo_incl or bands[-1].hi != 100 or not bands[-1].hi_incl:
        return [bad]
    for band in bands:
        if band.hi <= band.lo:
            return [bad]
    for left, right in zip(bands, bands[1:], strict=False):
        if left.hi != right.lo or left.hi_incl == right.lo_incl:
            return [bad]
    return []
