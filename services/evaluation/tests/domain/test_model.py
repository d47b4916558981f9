"""Indicator models as data: the shipped readings load and say what they are; broken files are refused on load."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from evaluation.domain.model import ModelInvalid, parse_model, shipped_models


def test_shipped_models_are_this_deployments_reading_with_provenance() -> None:
    models = shipped_models()
    assert set(models) == {"gz-key-platform-2026", "gz-traction-unit-2026"}
    for loaded in models.values():
        model = loaded.model
        assert model.provenance.status == "deployment_reading" and model.provenance.sources
        assert sum(i.weight for i in model.indicators) == 100
        assert [g.grade for g in model.grades] == ["优秀", "良好", "合格", "不合格"]
        assert model.parameters.rectification_working_days > 0 and model.parameters.appeal_window_working_days > 0
        assert "u_e" in model.uplift_formula or "uplift" in model.uplift_formula
    platform = models["gz-key-platform-2026"].model
    # S3: user experience and evaluation first — satisfaction is the heaviest single indicator
    assert max(platform.indicators, key=lambda i: i.weight).id == "satisfaction"
    traction = models["gz-traction-unit-2026"].model
    assert [t.tier for t in traction.tiers] == ["一档", "二档", "三档"]
    # only what no service publishes a fact for is submitted with evidence, and the provenance says why
    submitted = {m.model.id: [i.id for i in m.model.indicators if i.source.kind == "submitted"] for m in models.values()}
    assert submitted == {"gz-key-platform-2026": [],
                         "gz-traction-unit-2026": ["scenarios_and_chain_cases"]}
    assert "funding.project.contracted" in traction.provenance.note_zh and "投诉" in platform.provenance.note_zh
    computed = {i.id: i.source.method for i in platform.indicators if i.source.kind == "computed"}
    assert computed["complaints"] == "count_upheld_complaints"
    assert computed["contracts_signed"] == "count_contracts" and computed["work_plan_attainment"] == "work_plan_attainment"


def _content(**changes: object) -> str:
    data = yaml.safe_load(shipped_models()["gz-key-platform-2026"].content)
    data.update(changes)
    return yaml.safe_dump(data, allow_unicode=True)


@pytest.mark.parametrize("changes, where", [
    ({"grades": [{"grade": "优秀", "min_points": 90}, {"grade": "良好", "min_points": 95},
                 {"grade": "合格", "min_points": 60}, {"grade": "不合格", "min_points": 0}]}, "grade thresholds"),
    ({"tiers": [{"tier": "一档", "min_points": 90}, {"tier": "二档", "min_points": 80}, {"tier": "三档", "min_points": 70}]},
     "only traction-unit"),
    ({"indicators": [{"id": "x_y", "name_zh": "某", "group": "g", "weight": 100,
                      "source": {"kind": "computed", "method": "guess", "facts": ["diagnosis.report.issued"]},
                      "scale": {"zero_at": 0, "full_at": 1}}]}, "method"),
    ({"indicators": [{"id": "x_y", "name_zh": "某", "group": "g", "weight": 90,
                      "source": {"kind": "submitted", "submitted_by": "provider"},
                      "scale": {"zero_at": 0, "full_at": 1}}]}, "weights sum"),
])
def test_a_broken_model_is_refused_naming_the_problem(changes: dict[str, object], where: str) -> None:
    with pytest.raises(ModelInvalid) as refused:
        parse_model(_content(**changes))
    assert where in str(refused.value)


def test_a_changed_model_is_a_new_version() -> None:
    shipped = shipped_models()["gz-key-platform-2026"]
    other = parse_model(_content(parameters={**yaml.safe_load(shipped.content)["parameters"], "sample_size": 9}))
    assert other.version != shipped.version and other.model.parameters.sample_size == 9
    assert other.model.parameters.interval_z == Decimal("1.96")
