"""The programme KPI chart (PNG): each target's progress as a horizontal bar, drawn with matplotlib's Agg canvas and
the CJK font of the PyPI package ``mplfonts`` (Noto Sans CJK SC, SIL OFL 1.1)."""

from __future__ import annotations

from functools import lru_cache
from importlib.util import find_spec
from io import BytesIO
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

FONT_FILE = "NotoSansCJKsc-Regular.otf"


@lru_cache(maxsize=1)
def _font_path() -> Path:
    spec = find_spec("mplfonts")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "fonts" / FONT_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(f"{FONT_FILE} not found: install the PyPI package 'mplfonts'")


def kpi_chart(report: dict[str, Any]) -> bytes:
    font = FontProperties(fname=str(_font_path()), size=9)
    title = FontProperties(fname=str(_font_path()), size=12)
    rows = list(reversed(report["kpis"]))
    fig = Figure(figsize=(9, 0.45 * len(rows) + 1.4), dpi=150)
    ax = fig.add_subplot(1, 1, 1)
    shares = [min(1.0, (r["actual"] or 0) / r["target"]) * 100 for r in rows]
    colours = ["#bbbbbb" if r["actual"] is None else ("#2e9d6b" if r["actual"] >= r["target"] else "#1f6fb2") for r in rows]
    ax.barh(range(len(rows)), shares, color=colours)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r["name_zh"] for r in rows], fontproperties=font)
    ax.set_xlim(0, 115)
    ax.set_xlabel("完成目标的百分比 (%)", fontproperties=font)
    for y, r in enumerate(rows):
        label = "暂无数据（待相关服务发布事实）" if r["actual"] is None else f"{r['actual']} / {r['target']}"
        ax.text(min(shares[y], 100) + 1, y, label, va="center", fontproperties=font)
    scope = report["district"] or "全市"
    ax.set_title(f"中小企业数字化转型城市试点目标完成情况（{report['year']}年，{scope}）", fontproperties=title)
    fig.tight_layout()
    out = BytesIO()
    FigureCanvasAgg(fig).print_png(out)
    return out.getvalue()
