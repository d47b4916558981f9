"""The problems an assessment's answers can have: stable codes with Chinese and English messages."""

from __future__ import annotations

from sihua_shared.errors import Problem

MESSAGES: dict[str, tuple[str, str]] = {
    "payload.malformed": ("{what}", "{what_en}"),
    "edition.mismatch": ("答卷对应版本 {got}，与评测版本 {want} 不符", "answers are for edition {got}, not {want}"),
    "profile.unknown": ("行业配置 {got} 不存在", "unknown profile {got}"),
    "answer.unknown_item": ("题目 {item} 不在本版指标中", "item {item} is not in this edition"),
    "answer.malformed": ("{item} 的作答格式不正确：{what}", "{item}: malformed answer: {what_en}"),
    "answer.missing": ("{item} 未作答", "{item} is not answered"),
    "answer.unknown_option": ("{item} 没有选项 {option}", "{item} has no option {option}"),
    "answer.duplicate_option": ("{item} 的选项 {option} 重复", "{item}: option {option} chosen twice"),
    "answer.too_many_options": ("{item} 为单选题，只能选一个选项", "{item} is single-choice: choose one option"),
    "answer.no_option": ("{item} 为多选题，至少选择一项（没有请选“无”）", "{item}: choose at least one option (无 if none applies)"),
    "answer.exclusive_option": (
        "{item} 的选项“{label}”不能与其他选项同时选择",
        "{item}: option {option} ({label}) excludes every other option",
    ),
    "answer.contradicts_inputs": (
        "{item} 选择了 {option}，但填报数据对应选项 {derived}",
        "{item}: option {option} chosen, the numbers give {derived}",
    ),
    "input.unknown": ("{item} 没有输入项 {input}", "{item} has no input {input}"),
    "input.not_a_number": ("{label}应为数字", "{label_en} must be a number"),
    "input.out_of_bounds": ("{label}超出可处理的数值范围", "{label_en} is beyond the range the engine handles"),
    "input.not_integer": ("{label}应为整数", "{label_en} must be a whole number"),
    "input.negative": ("{label}不能为负数", "{label_en} cannot be negative"),
    "input.below_min": ("{label}不能小于 {bound}", "{label_en} cannot be below {bound}"),
    "input.above_max": ("{label}不能大于 {bound}", "{label_en} cannot exceed {bound}"),
    "input.exceeds": ("{label}不能大于{other}", "{label_en} cannot exceed {other_en}"),
    "input.inconsistent": ("{label}在 {first} 中已填报为不同数值", "{label_en} was given a different value at {first}"),
    "input.missing": ("缺少{label}，无法推算 {item} 的选项", "{label_en} is missing; {item} cannot be derived"),
    "input.zero_denominator": ("{label}为 0，无法计算 {item} 的比率", "{label_en} is 0; {item} has no ratio"),
    "input.out_of_range": ("{item} 的计算比率 {pct}% 超出所有选项区间", "{item}: the ratio {pct}% lies outside every option's band"),
    "scenes.malformed": ("场景等级应为“场景编号: 等级”的映射", "scenes must map scene ids to levels"),
    "scene.unknown": ("场景 {scene} 不在本版指标中", "scene {scene} is not in this edition"),
    "scene.invalid_level": ("{name}的等级应为 {lo} 至 {hi} 的整数", "{name_en}: the level must be a whole number from {lo} to {hi}"),
    "scene.missing": ("场景“{name}”未评级", "scene {name_en} has no level"),
}


def answer_problem(field: str, code: str, **values: object) -> Problem:
    zh, en = MESSAGES[code]
    return Problem(field, code, zh.format(**values), en.format(**values))
