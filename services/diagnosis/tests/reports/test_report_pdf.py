"""The diagnosis report renderer: PDF (embedded CJK font, extractable Chinese text, charts) and JSON."""

from __future__ import annotations

import json
import logging
import re
from datetime import date
from io import BytesIO
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from diagnosis.reports import DimensionScore, Enterprise, Gap, ReportData, SceneLevel, WeakScene, report_json
from diagnosis.reports.charts import FONT_FILE, cjk_font_path, radar_chart, scene_chart
from diagnosis.reports.pdf import render_pdf

ENTERPRISE = "广州市番禺区珺瑶精密五金制品有限公司"
CONSTRAINED = {"S01", "S03", "S06", "S07", "S08", "S09", "S10", "S11", "S12", "S13"}
SCENES = [
    ("S01", "产品设计", 1), ("S02", "工艺设计", 1), ("S03", "营销管理", 2), ("S04", "售后服务", 1),
    ("S05", "计划排程", 1), ("S06", "生产管控", 2), ("S07", "质量管理", 0), ("S08", "设备管理", 0),
    ("S09", "安全生产", 1), ("S10", "能耗管理", 1), ("S11", "采购管理", 1), ("S12", "仓储物流", 2),
    ("S13", "财务管理", 1), ("S14", "人力资源", 2), ("S15", "协同办公", 1), ("S16", "决策支持", 0),
]  # fmt: skip


def sample_report(**overrides: Any) -> ReportData:
    fields: dict[str, Any] = {
        "report_id": "DR-2025-000123",
        "issued_at": date(2025, 3, 18),
        "enterprise": Enterprise(ENTERPRISE, "91440113MA5D8XXXXK", "番禺区", "金属制品业"),
        "mode": "self",
        "stage": "baseline",
        "edition_id": "sme-digital-level-2024",
        "level": 1,
        "level_by_score": 1,
        "level_by_scenes": 1,
        "binding": "both",
        "total_milli": 35_500,
        "max_milli": 100_000,
        "dimensions": (
            DimensionScore("数字化基础", 22_500, 50_000),
            DimensionScore("数字化管理", 9_000, 30_000),
            DimensionScore("数字化成效", 4_000, 20_000),
        ),
        "scenes": tuple(SceneLevel(code, name, level, 2, code in CONSTRAINED) for code, name, level in SCENES),
        "gap": Gap(
            target_level=2,
            points_missing_milli=4_500,
            scenes_missing=2,
            constrained_scenes_missing=0,
            lines=("总分需达到 40 分，还差 4.5 分。", "需至少 6 个场景达到二级，目前 4 个。"),
        ),
        "weakest": (
            WeakScene("质量管理", 0, "建立质量数据采集与统计台账，逐步引入质量管理系统实现规范化管理。"),
            WeakScene("设备管理", 0, "用信息技术工具建立设备台账和点巡检记录，制定维护计划。"),
            WeakScene("决策支持", 0, "整合关键业务数据，先用报表工具为管理者提供可视化数据。"),
        ),
        "plan_lines": ("第一阶段：上线质量管理与设备管理模块。", "第二阶段：打通生产管控与仓储物流数据。"),
        "provenance": ("等级规则：第三方整理（未经官方原文核对）", "场景清单：平台采集（未核对）"),
    }
    fields.update(overrides)
    return ReportData(**fields)


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return render_pdf(sample_report())


def _fonts(reader: PdfReader) -> list[Any]:
    fonts = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            fonts.extend(d.get_object() for d in font.get("/DescendantFonts", []))
    return fonts


def _image_count(reader: PdfReader) -> int:
    count = 0
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        count += sum(1 for ref in xobjects.values() if ref.get_object()["/Subtype"] == "/Image")
    return count


def test_font_is_the_free_noto_cjk_from_the_installed_package() -> None:
    path = cjk_font_path()
    assert path.name == FONT_FILE and "site-packages" in path.parts and path.parent.parent.name == "mplfonts"
    names = TTFont(str(path), lazy=True)["name"]
    assert names.getDebugName(1) == "Noto Sans CJK SC Regular"
    assert "SIL Open Font License" in (names.getDebugName(13) or "")


def test_pdf_starts_and_embeds_the_subset_font(rendered: bytes) -> None:
    assert rendered.startswith(b"%PDF-")
    assert b"/FontFile2" in rendered or b"/FontFile3" in rendered
    assert b"NotoSansCJK" in rendered
    descendants = _fonts(PdfReader(BytesIO(rendered)))
    assert descendants
    for font in descendants:
        assert "NotoSansCJK" in font["/BaseFont"]
        assert re.match(r"^/[A-Z]{6}\+", font["/BaseFont"]), "a subset font carries a six-letter tag"
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor


def test_pdf_text_pages_and_charts(rendered: bytes) -> None:
    reader = PdfReader(BytesIO(rendered))
    pages = len(reader.pages)
    assert 2 <= pages <= 6
    text = "\n".join(page.extract_text() for page in reader.pages)
    for needle in ("中小企业数字化水平评测诊断报告", "数字化水平", ENTERPRISE, "一级", "二级", "质量管理", "薄弱场景", "改造方案"):
        assert needle in text, needle
    assert "\x00" not in text
    for number in range(1, pages + 1):
        assert f"第 {number} 页／共 {pages} 页" in text
    assert _image_count(reader) == 2


def test_every_character_has_a_glyph(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    render_pdf(sample_report(enterprise=Enterprise("广州堃喆昇科技有限公司", "91440101MA9XXXXX1Y", "黄埔区", "软件和信息技术服务业")))
    assert not [r for r in caplog.records if "missing" in r.getMessage().lower()]


def test_top_level_report_without_plan() -> None:
    data = sample_report(level=4, level_by_score=4, level_by_scenes=4, gap=Gap(target_level=None), plan_lines=())
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(render_pdf(data))).pages)
    assert "已达到最高等级" in text and "改造方案" not in text


def test_charts_are_png() -> None:
    data = sample_report()
    assert radar_chart(data.dimensions).startswith(b"\x89PNG")
    assert scene_chart(data.scenes, "二级").startswith(b"\x89PNG")


def test_report_data_checks_levels() -> None:
    with pytest.raises(ValueError):
        sample_report(level=2)
    with pytest.raises(ValueError):
        sample_report(level_by_score=2, binding="both")
    with pytest.raises(ValueError):
        SceneLevel("S01", "产品设计", 5, 2, True)


def test_report_json() -> None:
    doc = report_json(sample_report(level_by_score=2, binding="scenes"))
    assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc
    assert list(doc) == [
        "schema", "title", "report_id", "issued_at", "labels", "enterprise", "assessment", "level",
        "score", "dimensions", "scenes", "gap", "weakest", "plan", "provenance",
    ]  # fmt: skip
    assert doc["issued_at"] == "2025-03-18"
    assert doc["enterprise"]["name"] == ENTERPRISE
    assert doc["assessment"]["mode_label"] == "自评"
    level = doc["level"]
    assert (level["value"], level["name"]) == (1, "一级")
    assert level["by_score"] == {"value": 2, "name": "二级"} and level["by_scenes"]["name"] == "一级"
    assert level["binding"] == "scenes" and "场景" in level["binding_label"]
    assert level["meaning"].startswith("开展了基础业务流程梳理")
    assert doc["score"] == {"total_milli": 35_500, "max_milli": 100_000, "total": "35.5", "max": "100.0"}
    assert doc["dimensions"][0] == {
        "name": "数字化基础", "score_milli": 22_500, "max_milli": 50_000, "score": "22.5", "max": "50.0", "percent": 45.0,
    }  # fmt: skip
    quality = next(s for s in doc["scenes"] if s["code"] == "S07")
    assert quality["level"] == {"value": 0, "name": "未达一级"} and quality["meets"] is False and quality["kind_label"] == "约束性"
    assert doc["gap"]["target_level"] == {"value": 2, "name": "二级"} and doc["gap"]["points_missing"] == "4.5"
    assert [w["name"] for w in doc["weakest"]] == ["质量管理", "设备管理", "决策支持"]
    assert doc["labels"]["gap"] == "差距分析"
