"""The diagnosis report as a JSON-able dict: stable keys, machine values and their Chinese labels.

Points are given both as integer milli-points (``*_milli``) and as display strings with one decimal.
"""

from __future__ import annotations

from typing import Any

from diagnosis.reports.model import REPORT_TITLE, ReportData, level_name, points

SCHEMA = "sihua.diagnosis.report/1"

SECTION_LABELS: dict[str, str] = {
    "enterprise": "企业信息",
    "level": "评测等级",
    "dimensions": "维度得分",
    "scenes": "场景等级",
    "gap": "差距分析",
    "weakest": "薄弱场景",
    "plan": "改造方案",
    "notes": "说明",
}


def _level(value: int) -> dict[str, Any]:
    return {"value": value, "name": level_name(value)}


def report_json(data: ReportData) -> dict[str, Any]:
    e = data.enterprise
    gap = data.gap
    return {
        "schema": SCHEMA,
        "title": REPORT_TITLE,
        "report_id": data.report_id,
        "issued_at": data.issued_at.isoformat(),
        "labels": dict(SECTION_LABELS),
        "enterprise": {"name": e.name, "uscc": e.uscc, "district": e.district, "sector": e.sector},
        "assessment": {
            "mode": data.mode,
            "mode_label": data.mode_label,
            "stage": data.stage,
            "stage_label": data.stage_label,
            "edition_id": data.edition_id,
        },
        "level": {
            **_level(data.level),
            "meaning": data.level_meaning,
            "by_score": _level(data.level_by_score),
            "by_scenes": _level(data.level_by_scenes),
            "binding": data.binding,
            "binding_label": data.binding_label,
        },
        "score": {
            "total_milli": data.total_milli,
            "max_milli": data.max_milli,
            "total": points(data.total_milli),
            "max": points(data.max_milli),
        },
        "dimensions": [
            {
                "name": d.name,
                "score_milli": d.score_milli,
                "max_milli": d.max_milli,
                "score": points(d.score_milli),
                "max": points(d.max_milli),
                "percent": round(100 * d.ratio, 1),
            }
            for d in data.dimensions
        ],
        "scenes": [
            {
                "code": s.code,
                "name": s.name,
                "constrained": s.constrained,
                "kind_label": "约束性" if s.constrained else "指导性",
                "level": _level(s.level),
                "required_level": _level(s.required_level),
                "meets": s.meets,
            }
            for s in data.scenes
        ],
        "gap": {
            "target_level": _level(gap.target_level) if gap.target_level is not None else None,
            "points_missing_milli": gap.points_missing_milli,
            "points_missing": points(gap.points_missing_milli),
            "scenes_missing": gap.scenes_missing,
            "constrained_scenes_missing": gap.constrained_scenes_missing,
            "lines": list(gap.lines),
        },
        "weakest": [{"name": w.name, "level": _level(w.level), "suggestion": w.suggestion} for w in data.weakest],
        "plan": list(data.plan_lines),
        "provenance": list(data.provenance),
    }
