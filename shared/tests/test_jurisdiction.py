"""The jurisdiction is data: Guangzhou by default, Zhongshan from its own file, anything else without code changes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml
from pydantic import ValidationError

from sihua_shared.contracts.registry import OrganisationKind
from sihua_shared.jurisdiction import (
    DEFAULT_JURISDICTION,
    JURISDICTIONS_DIR,
    Jurisdiction,
    available_jurisdictions,
    jurisdiction_path,
    load_jurisdiction,
)


@pytest.fixture(scope="module")
def guangzhou() -> Jurisdiction:
    return load_jurisdiction()


@pytest.fixture(scope="module")
def zhongshan() -> Jurisdiction:
    return load_jurisdiction("zhongshan")


def test_default_is_guangzhou(guangzhou: Jurisdiction) -> None:
    assert DEFAULT_JURISDICTION == "guangzhou"
    assert guangzhou.code == "guangzhou"
    assert guangzhou.name_zh == "广州市"
    assert guangzhou.time_zone == "Asia/Shanghai"
    assert guangzhou.admin_code == "440100"
    assert guangzhou.publicity_working_days == 5


def test_shipped_jurisdictions() -> None:
    assert available_jurisdictions() == ["guangzhou", "zhongshan"]


# glossary.md (区): the eleven districts
GUANGZHOU_DISTRICTS = ["越秀区", "海珠区", "荔湾区", "天河区", "白云区", "黄埔区", "番禺区", "花都区", "南沙区", "从化区", "增城区"]


def test_guangzhou_eleven_districts(guangzhou: Jurisdiction) -> None:
    assert [d.name_zh for d in guangzhou.districts] == GUANGZHOU_DISTRICTS
    assert all(d.admin_code and d.admin_code.startswith("4401") for d in guangzhou.districts)
    assert guangzhou.district("huadu") is not None and guangzhou.district("huadu").name_zh == "花都区"  # type: ignore[union-attr]
    assert guangzhou.district("shiqi") is None


# S2 三(二): 重点实施 … 各区 … 行业
PILOT_SECTORS = [
    ("S2 三(二)", "智能网联与新能源汽车(零部件)", {"黄埔区", "南沙区", "番禺区", "花都区", "增城区", "白云区"}),
    ("S2 三(二)", "工业母机和机器人", {"黄埔区", "番禺区", "花都区", "增城区"}),
    ("S2 三(二)", "时尚美妆", {"白云区", "花都区", "黄埔区", "从化区"}),
    ("S2 三(二)", "定制家居", {"白云区", "增城区", "番禺区"}),
    ("S2 三(二)", "服装", {"白云区", "增城区", "番禺区"}),
    ("S2 三(二)", "箱包", {"花都区", "白云区"}),
]


@pytest.mark.parametrize(("clause", "sector_zh", "districts_zh"), PILOT_SECTORS, ids=[s[1] for s in PILOT_SECTORS])
def test_guangzhou_pilot_sectors_and_their_districts(
    guangzhou: Jurisdiction, clause: str, sector_zh: str, districts_zh: set[str]
) -> None:
    sector = next(s for s in guangzhou.pilot_sectors if s.name_zh == sector_zh)
    assert sector.source == clause
    names = {guangzhou.district(code).name_zh for code in sector.districts}  # type: ignore[union-attr]
    assert names == districts_zh


def test_guangzhou_has_exactly_the_six_pilot_sectors(guangzhou: Jurisdiction) -> None:
    assert len(guangzhou.pilot_sectors) == 6
    assert {s.code for s in guangzhou.sectors_in_district("huadu")} == {
        "auto_parts", "machine_tools_robots", "fashion_cosmetics", "luggage",
    }
    assert guangzhou.sectors_in_district("yuexiu") == []


# S0 二(一): the categories of the open call
def test_guangzhou_platform_categories(guangzhou: Jurisdiction) -> None:
    assert [c.name_zh for c in guangzhou.platform_categories] == [
        "人工智能公共服务平台",
        "工业互联网平台",
        "智能制造服务平台",
        "工业绿色化服务平台",
        "中小企业强企增效（经营管理）公共服务平台",
        "其他重点领域",
    ]
    assert guangzhou.platform_category("industrial_internet") is not None
    assert guangzhou.platform_category("other") is not None


TITLES = [
    ("S0 二(二)", "key_platform", "广州市四化赋能重点平台", "KP"),
    ("S2 三(一)", "traction_unit", "广州市中小企业数字化转型城市试点牵引单位", "TU"),
    ("S0 二(四)", "diagnosis_provider", "广州市“四化”评估诊断服务项目承担单位", "DP"),
    ("S2 三(九)", "third_party", "广州市中小企业数字化转型城市试点第三方综合服务机构", "TP"),
    # the recognitions (issue 10 §3)
    ("S2 二, 三(五)", "digital_workshop", "广州市数字化车间", "DW"),
    ("S2 二, 三(五)", "smart_manufacturing_factory", "广州市智能制造示范工厂", "SF"),
    ("S2 二, 三(五)", "typical_scenario", "广州市数字化应用典型示范场景", "TS"),
    ("S2 二, 三(五)", "chain_case", "广州市“链式”转型典型案例", "CC"),
    ("S2 三(五), 五(九)", "excellent_traction_unit", "广州市中小企业数字化转型城市试点优秀数字化牵引单位", "ETU"),
    ("S2 二, 三(五)", "excellent_provider", "广州市中小企业数字化转型城市试点优秀数字化服务商", "EP"),
]

# Enterprise recognitions go to enterprises, provider recognitions to the organisations serving them; the chain case
# and the excellent traction unit to holders of a traction-unit title.
RECOGNITION_HOLDERS = [
    ("guangzhou", "digital_workshop", {"enterprise"}, None),
    ("guangzhou", "smart_manufacturing_factory", {"enterprise"}, None),
    ("guangzhou", "typical_scenario", {"enterprise"}, None),
    ("guangzhou", "chain_case", {"enterprise", "platform", "traction_unit", "diagnosis_provider"}, "traction_unit"),
    ("guangzhou", "excellent_traction_unit", {"enterprise", "platform", "traction_unit", "diagnosis_provider"}, "traction_unit"),
    ("guangzhou", "excellent_provider", {"provider", "platform", "traction_unit", "diagnosis_provider"}, None),
    ("zhongshan", "demonstration_factory", {"enterprise"}, None),
    ("zhongshan", "demonstration_workshop", {"enterprise"}, None),
    ("zhongshan", "iiot_benchmark", {"enterprise"}, None),
]


@pytest.mark.parametrize(("code", "kind", "holders", "requires"), RECOGNITION_HOLDERS, ids=[f"{r[0]}-{r[1]}" for r in RECOGNITION_HOLDERS])
def test_recognition_holders(code: str, kind: str, holders: set[str], requires: str | None) -> None:
    title = load_jurisdiction(code).title(kind)
    assert title is not None and set(title.holders) == holders and title.requires_title == requires
    assert title.validity_months == 36 and title.call_category == "none"


@pytest.mark.parametrize(("clause", "kind", "name_zh", "number_code"), TITLES, ids=[t[1] for t in TITLES])
def test_guangzhou_titles(guangzhou: Jurisdiction, clause: str, kind: str, name_zh: str, number_code: str) -> None:
    title = guangzhou.title(kind)
    assert title is not None
    assert title.name_zh == name_zh
    assert title.number_code == number_code
    assert title.source.startswith(clause)
    assert guangzhou.title_number_prefix == "GZSH"


def test_guangzhou_policies_carry_their_validity(guangzhou: Jurisdiction) -> None:
    s0 = guangzhou.policy("s0_sihua_platforms")
    s2 = guangzhou.policy("s2_sme_city_pilot")
    assert s0 is not None and s0.document_number == "穗工信规字〔2023〕2号" and s0.valid_until == date(2025, 12, 31)
    assert s2 is not None and s2.document_number == "穗工信函〔2024〕358号" and s2.valid_until == date(2026, 12, 31)


# S4: Zhongshan, expressed without code changes
def test_zhongshan_is_data_only(zhongshan: Jurisdiction) -> None:
    assert zhongshan.name_zh == "中山市"
    assert zhongshan.district_label_zh == "镇街"
    assert len(zhongshan.districts) == 23
    assert {"小榄镇", "古镇镇", "石岐街道"} <= {d.name_zh for d in zhongshan.districts}
    assert zhongshan.title("traction_unit") is None  # no SME city pilot in S4
    assert zhongshan.title("key_platform").name_zh == "中山市标杆平台"  # type: ignore[union-attr]
    # S4 二(五): the characteristic clusters, citywide
    assert [s.name_zh for s in zhongshan.pilot_sectors] == ["五金", "家电", "灯具", "板式家具"]
    assert all(not s.districts for s in zhongshan.pilot_sectors)
    assert zhongshan.policy("s4_zhongshan_measures").valid_until == date(2025, 12, 31)  # type: ignore[union-attr]


ZHONGSHAN_QUOTAS = [
    ("S4 一(一)", "demonstration_factory", 10),
    ("S4 一(二)", "demonstration_workshop", 15),
    ("S4 一(三)", "iiot_benchmark", 10),
]


@pytest.mark.parametrize(("clause", "kind", "quota"), ZHONGSHAN_QUOTAS, ids=[q[0] for q in ZHONGSHAN_QUOTAS])
def test_zhongshan_yearly_caps(zhongshan: Jurisdiction, clause: str, kind: str, quota: int) -> None:
    title = zhongshan.title(kind)
    assert title is not None and title.annual_quota == quota and title.source == clause


# ---- loading rules ------------------------------------------------------------------------------------


def _guangzhou_data() -> dict[str, Any]:
    with (JURISDICTIONS_DIR / "guangzhou.yaml").open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def _write(tmp_path: Path, data: dict[str, Any], name: str = "testcity.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_programme_periods_and_who_may_hold_each_title(guangzhou: Jurisdiction, zhongshan: Jurisdiction) -> None:
    """S2 (2024—2026) for Guangzhou; S4 六 (until 2025-12-31, start unstated) for Zhongshan; holders are organisation kinds."""
    assert guangzhou.programme_period is not None and zhongshan.programme_period is not None
    assert (guangzhou.programme_period.starts_on, guangzhou.programme_period.ends_on) == (date(2024, 1, 1), date(2026, 12, 31))
    assert (zhongshan.programme_period.starts_on, zhongshan.programme_period.ends_on) == (None, date(2025, 12, 31))
    assert guangzhou.programme_period.contains(date(2024, 1, 1)) and not guangzhou.programme_period.contains(date(2027, 1, 1))
    kinds = set(get_args(OrganisationKind))
    for jurisdiction in (guangzhou, zhongshan):
        assert all(t.holders and set(t.holders) <= kinds - {"agency"} for t in jurisdiction.titles.values())
    assert "enterprise" in guangzhou.titles["traction_unit"].holders and "enterprise" not in guangzhou.titles["key_platform"].holders


def test_a_new_city_from_a_file(tmp_path: Path) -> None:
    data = _guangzhou_data() | {"code": "testcity", "name_zh": "测试市", "title_number_prefix": "TC"}
    loaded = load_jurisdiction(path=_write(tmp_path, data))
    assert loaded.code == "testcity" and loaded.title_number_prefix == "TC"
    assert load_jurisdiction("testcity", path=_write(tmp_path, data)).name_zh == "测试市"


def test_path_and_code_must_agree(tmp_path: Path) -> None:
    path = _write(tmp_path, _guangzhou_data())
    with pytest.raises(ValueError, match="defines jurisdiction 'guangzhou'"):
        load_jurisdiction("zhongshan", path=path)


def test_an_edited_file_is_reloaded(tmp_path: Path) -> None:
    data = _guangzhou_data()
    path = _write(tmp_path, data)
    assert load_jurisdiction(path=path).publicity_working_days == 5
    path.write_text(yaml.safe_dump(data | {"publicity_working_days": 7}, allow_unicode=True), encoding="utf-8")
    import os

    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert load_jurisdiction(path=path).publicity_working_days == 7


@pytest.mark.parametrize("code", ["../etc/passwd", "Guangzhou", "guang-zhou", ""])
def test_codes_are_plain_identifiers(code: str) -> None:
    with pytest.raises(ValueError):
        jurisdiction_path(code)


def test_unknown_jurisdiction() -> None:
    with pytest.raises(FileNotFoundError):
        load_jurisdiction("atlantis")


BROKEN = [
    ("sector names a district the city lacks", lambda d: d["pilot_sectors"][0]["districts"].append("shiqi"), "unknown districts"),
    ("duplicate district code", lambda d: d["districts"].append(dict(d["districts"][0])), "duplicate"),
    ("duplicate title number code", lambda d: d["titles"]["traction_unit"].update(number_code="KP"), "duplicate"),
    ("unknown time zone", lambda d: d.update(time_zone="Asia/Guangzhou"), "time zone"),
    ("title format with unknown field", lambda d: d.update(title_number_format="{prefix}-{kind}"), "title_number_format"),
    ("no districts", lambda d: d.update(districts=[]), "districts"),
    ("unknown key", lambda d: d.update(mayor="someone"), "mayor"),
    ("code with upper case", lambda d: d["districts"][0].update(code="Yuexiu"), "code"),
    ("a title requiring an unknown one", lambda d: d["titles"]["chain_case"].update(requires_title="nothing"), "requires unknown"),
    ("a title requiring itself", lambda d: d["titles"]["chain_case"].update(requires_title="chain_case"), "cannot require itself"),
    ("a call sector without sectors", lambda d: d.update(pilot_sectors=[]), "needs a pilot sector"),
    ("a title kind too long for the facts", lambda d: d["titles"].update({"k" * 51: d["titles"].pop("chain_case")}), "longer than 50"),
]


@pytest.mark.parametrize(("case", "mutate", "message"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_files_fail_on_load(tmp_path: Path, case: str, mutate: Any, message: str) -> None:
    data = _guangzhou_data()
    mutate(data)
    with pytest.raises(ValidationError, match=message):
        load_jurisdiction(path=_write(tmp_path, data))


def test_models_are_frozen(guangzhou: Jurisdiction) -> None:
    with pytest.raises(ValidationError):
        guangzhou.publicity_working_days = 3  # type: ignore[misc]
