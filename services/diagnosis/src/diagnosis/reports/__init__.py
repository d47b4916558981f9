"""Diagnosis reports: the data (model), its JSON form (json_report) and its PDF (pdf, charts).

A pure package: no web framework, no database. The PDF and charts need matplotlib, fpdf2 and the font
package; they are imported from ``diagnosis.reports.pdf`` only when a PDF is wanted.
"""

from diagnosis.reports.json_report import report_json
from diagnosis.reports.model import (
    LEVEL_MEANINGS,
    LEVEL_NAMES,
    REPORT_TITLE,
    DimensionScore,
    Enterprise,
    Gap,
    ReportData,
    SceneLevel,
    WeakScene,
    level_name,
    points,
)

__all__ = [
    "LEVEL_MEANINGS",
    "LEVEL_NAMES",
    "REPORT_TITLE",
    "DimensionScore",
    "Enterprise",
    "Gap",
    "ReportData",
    "SceneLevel",
    "WeakScene",
    "level_name",
    "points",
    "report_json",
]
