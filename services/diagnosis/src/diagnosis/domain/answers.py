"""An assessment's answers checked against an edition, with options derived from numeric inputs.

The payload (handbook §6, engine contract)::

    {"profile": "default",
     "answers": {"Q1": {"options": ["B", "C"]},
                 "Q2": {"inputs": {"total_devices": 120, "digital_devices": 50}}},
     "scenes": {"S01": 2, "S02": 1}}

An item is answered by its options, by the numbers its option derives from, or by both, in which case
they must agree. An input used by several items (total devices, revenue) is one quantity: give it under
any of them; given twice it must be the same. Numbers are exact (int, decimal string, or a JSON number
read through its decimal text); floats never enter a calculation.

Every problem is collected and raised at once as ``AnswersInvalid``, each naming a field path
(``answers.Q3``, ``answers.Q3.inputs.digital_devices``, ``scenes.S01``), a stable code, and a message in
Chinese and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from diagnosis.domain.answer_messages import answer_problem as _problem
from diagnosis.domain.edition_schema import RatioDerivation, TrendDerivation
from diagnosis.domain.index import CompiledItem, Edition
from diagnosis.domain.problems import AnswersInvalid
from sihua_shared.errors import Problem

_PAYLOAD_KEYS = frozenset({"edition", "profile", "answers", "scenes"})
_ANSWER_KEYS = frozenset({"options", "inputs"})


@dataclass(frozen=True, slots=True)
class Answers:
    """Checked answers: the options in force per item (derived ones included) and the scene levels."""

    profile: str | None
    options: Mapping[str, tuple[str, ...]]
    derived: frozenset[str]
    """Items whose option came from their numbers (none chosen, or the chosen one agrees)."""
    inputs: Mapping[str, Fraction]
    scene_levels: Mapping[str, int]


def parse_answers(edition: Edition, payload: Mapping[str, Any], *, complete: bool = True) -> Answers:
    """Check the payload and derive options; raise ``AnswersInvalid`` with every problem found.

    ``complete=False`` accepts a draft: unanswered items and scenes are not problems.
    """
    answers, problems = check_answers(edition, payload, complete=complete)
    if problems:
        raise AnswersInvalid(problems)
    return answers


def check_answers(edition: Edition, payload: Mapping[str, Any], *, complete: bool = True) -> tuple[Answers, list[Problem]]:
    """The checked answers so far and every problem found (empty when the answers are valid)."""
    problems: list[Problem] = []
    if not isinstance(payload, Mapping):  # a caller may pass whatever JSON arrived
        problems.append(_problem("$", "payload.malformed", what="答卷应为对象", what_en="the answers must be an object"))
        payload = {}
    for key in sorted(set(payload) - _PAYLOAD_KEYS, key=str):
        problems.append(_problem(str(key), "payload.malformed", what=f"不允许的字段 {key}", what_en=f"unknown field {key}"))
    if "edition" in payload and str(payload["edition"]) != edition.id:
        problems.append(_problem("edition", "edition.mismatch", got=payload["edition"], want=edition.id))
    profile = payload.get("profile", edition.default_profile)
    if edition.scene_ids and (not isinstance(profile, str) or profile not in edition.constrained):
        problems.append(_problem("profile", "profile.unknown", got=profile))
    raw_answers = payload.get("answers", {})
    if not isinstance(raw_answers, Mapping):
        problems.append(_problem("answers", "payload.malformed", what="answers 应为对象", what_en="answers must be an object"))
        raw_answers = {}
    entries = _entries(edition, raw_answers, problems)
    inputs, bad_inputs = _read_inputs(edition, entries, problems)
    options: dict[str, tuple[str, ...]] = {}
    derived: set[str] = set()
    for item_id, item in edition.items.items():
        entry = entries.get(item_id)
        own = _own_inputs(entry)
        if entry is None:
            if complete and not _mentions(problems, item_id):
                problems.append(_problem(f"answers.{item_id}", "answer.missing", item=item_id))
            continue
        chosen = _check_options(item, entry.get("options"), problems)
        derivation = _derive(edition, item, inputs, bad_inputs, own, chosen is None, problems) if item.derive else None
        if chosen and derivation is not None and item.type == "single" and chosen != (derivation,):
            problems.append(_problem(f"answers.{item_id}", "answer.contradicts_inputs", item=item_id, option=chosen[0], derived=derivation))
        if chosen:
            options[item_id] = chosen
            if derivation is not None:
                derived.add(item_id)
        elif derivation is not None:
            options[item_id] = (derivation,)
            derived.add(item_id)
        elif complete and not _mentions(problems, item_id):
            problems.append(_problem(f"answers.{item_id}", "answer.missing", item=item_id))
    scenes = _check_scenes(edition, payload.get("scenes", {}), complete, problems)
    return Answers(str(profile) if profile is not None else None, options, frozenset(derived), inputs, scenes), problems


def _entries(edition: Edition, raw: Mapping[Any, Any], problems: list[Problem]) -> dict[str, Mapping[str, Any]]:
    entries: dict[str, Mapping[str, Any]] = {}
    for key, entry in raw.items():
        field = f"answers.{key}"
        if key not in edition.items:
            problems.append(_problem(field, "answer.unknown_item", item=key))
        elif not isinstance(entry, Mapping) or not set(entry) <= _ANSWER_KEYS:
            problems.append(
                _problem(field, "answer.malformed", item=key, what="应为 {options, inputs} 对象", what_en="expected {options, inputs}")
            )
        else:
            entries[str(key)] = entry
    return entries


def _labels(edition: Edition, name: str) -> dict[str, str]:
    spec = edition.inputs[name]
    return {"label": spec.label, "label_en": spec.label_en}


_SMALLEST_EXPONENT = -18
_LARGEST = Decimal(10) ** 15
"""Numbers are kept below 10^15 and no finer than 10^-18: enough for any count or amount (in yuan), no huge exact
fractions, and every integer below 2^53, so that a stored answer travels back to a browser exactly."""


def _number(value: Any) -> Fraction | str:
    """The exact value, or the problem code for a value that is not a usable number."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return "input.not_a_number"
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        return "input.not_a_number"
    if not number.is_finite():
        return "input.not_a_number"
    if number and not (number.adjusted() >= _SMALLEST_EXPONENT and abs(number) < _LARGEST):
        return "input.out_of_bounds"
    return Fraction(number)


def _read_inputs(
    edition: Edition, entries: Mapping[str, Mapping[str, Any]], problems: list[Problem]
) -> tuple[dict[str, Fraction], set[str]]:
    values: dict[str, Fraction] = {}
    where: dict[str, str] = {}
    bad: set[str] = set()
    for item_id, entry in entries.items():
        raw = entry.get("inputs", {})
        if not isinstance(raw, Mapping):
            problems.append(
                _problem(
                    f"answers.{item_id}.inputs",
                    "answer.malformed",
                    item=item_id,
                    what="inputs 应为对象",
                    what_en="inputs must be an object",
                )
            )
            continue
        for name, value in raw.items():
            field = f"answers.{item_id}.inputs.{name}"
            if name not in edition.items[item_id].inputs:
                problems.append(_problem(field, "input.unknown", item=item_id, input=name))
                continue
            spec = edition.inputs[name]
            labels = _labels(edition, name)
            number = _number(value)
            if isinstance(number, str):
                problems.append(_problem(field, number, **labels))
            elif spec.type == "integer" and number.denominator != 1:
                problems.append(_problem(field, "input.not_integer", **labels))
            elif number < 0:
                problems.append(_problem(field, "input.negative", **labels))
            elif number < spec.min:
                problems.append(_problem(field, "input.below_min", bound=spec.min, **labels))
            elif spec.max is not None and number > spec.max:
                problems.append(_problem(field, "input.above_max", bound=spec.max, **labels))
            elif name in values and values[name] != number:
                # the first value stands; the problem is reported once, where the second was given
                problems.append(_problem(field, "input.inconsistent", first=where[name], **labels))
                continue
            else:
                values.setdefault(name, number)
                where.setdefault(name, field)
                continue
            bad.add(name)
    for name, number in values.items():
        spec = edition.inputs[name]
        if spec.at_most is not None and spec.at_most in values and number > values[spec.at_most]:
            other = edition.inputs[spec.at_most]
            problems.append(
                _problem(where[name], "input.exceeds", label=spec.label, label_en=spec.label_en, other=other.label, other_en=other.label_en)
            )
            bad.add(name)
    return {k: v for k, v in values.items() if k not in bad}, bad


def _check_options(item: CompiledItem, raw: Any, problems: list[Problem]) -> tuple[str, ...] | None:
    """The options chosen, or None when none were (an empty list for a multi-choice item is a problem)."""
    field = f"answers.{item.id}"
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(o, str) for o in raw):
        problems.append(
            _problem(
                field, "answer.malformed", item=item.id, what="options 应为选项编号列表", what_en="options must be a list of option ids"
            )
        )
        return ()
    if not raw:
        if item.type == "multi":
            problems.append(_problem(field, "answer.no_option", item=item.id))
            return ()
        return None
    ok = True
    for i, option in enumerate(raw):
        if option not in item.points:
            problems.append(_problem(field, "answer.unknown_option", item=item.id, option=option))
            ok = False
        elif option in raw[:i]:
            problems.append(_problem(field, "answer.duplicate_option", item=item.id, option=option))
            ok = False
    if item.type == "single" and len(raw) > 1:
        problems.append(_problem(field, "answer.too_many_options", item=item.id))
        ok = False
    for option in item.exclusive.intersection(raw):
        if len(raw) > 1:
            label = next(o.label for o in item.spec.options if o.id == option)
            problems.append(_problem(field, "answer.exclusive_option", item=item.id, option=option, label=label))
            ok = False
    return tuple(raw) if ok else ()


def _derive(
    edition: Edition,
    item: CompiledItem,
    inputs: Mapping[str, Fraction],
    bad: set[str],
    given: frozenset[str],
    needed: bool,
    problems: list[Problem],
) -> str | None:
    """The option the item's numbers give, or None when they give none (problems say why, where it matters)."""
    derive = item.derive
    assert derive is not None
    refs = derive.uses()
    if any(r in bad for r in refs):
        return None
    missing = [r for r in refs if r not in inputs]
    if missing:
        if needed and given:
            for ref in missing:
                problems.append(_problem(f"answers.{item.id}.inputs.{ref}", "input.missing", item=item.id, **_labels(edition, ref)))
        return None
    for ref in derive.divisors():
        if inputs[ref] == 0:
            problems.append(_problem(f"answers.{item.id}.inputs.{ref}", "input.zero_denominator", item=item.id, **_labels(edition, ref)))
            return None
    if isinstance(derive, RatioDerivation):
        pct = 100 * inputs[derive.numerator] / inputs[derive.denominator]
        option = next((band.option for band in item.bands if band.holds(pct)), None)
        if option is None:
            problems.append(_problem(f"answers.{item.id}", "input.out_of_range", item=item.id, pct=f"{float(pct):.2f}"))
        return option
    return item.trend_options[_trend(derive, inputs)]


def _trend(derive: TrendDerivation, inputs: Mapping[str, Fraction]) -> str:
    last, prev = inputs[derive.last], inputs[derive.prev]
    if derive.per_last is not None and derive.per_prev is not None:
        last, prev = last / inputs[derive.per_last], prev / inputs[derive.per_prev]
    if abs(last - prev) <= abs(prev) * Fraction(derive.flat_tolerance_pct) / 100:
        return "flat"
    return "better" if (last > prev) == (derive.better == "higher") else "worse"


def _mentions(problems: list[Problem], item_id: str) -> bool:
    field = f"answers.{item_id}"
    return any(p.field == field or p.field.startswith(field + ".") for p in problems)


def _own_inputs(entry: Mapping[str, Any] | None) -> frozenset[str]:
    raw = entry.get("inputs") if entry is not None else None
    return frozenset(str(k) for k in raw) if isinstance(raw, Mapping) else frozenset()


def _check_scenes(edition: Edition, raw: Any, complete: bool, problems: list[Problem]) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        problems.append(_problem("scenes", "scenes.malformed"))
        return {}
    lo, hi = edition.scene_level_range
    levels: dict[str, int] = {}
    for key, value in raw.items():
        scene = edition.scenes.get(key)
        if scene is None:
            problems.append(_problem(f"scenes.{key}", "scene.unknown", scene=key))
        elif isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            problems.append(_problem(f"scenes.{key}", "scene.invalid_level", name=scene.name, name_en=scene.name_en, lo=lo, hi=hi))
        else:
            levels[scene.id] = value
    if complete:
        for sid in edition.scene_ids:
            if sid not in raw:
                scene = edition.scenes[sid]
                problems.append(_problem(f"scenes.{sid}", "scene.missing", name=scene.name, name_en=scene.name_en))
    return levels
