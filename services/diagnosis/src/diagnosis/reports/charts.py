"""Report charts as PNG bytes, drawn with matplotlib's Agg canvas and the packaged CJK font.

No pyplot and no global backend switch: each chart owns a Figure on a FigureCanvasAgg, so importing
this module changes nothing for other modules.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from importlib.util import find_spec
from io import BytesIO
from pathlib import Path
from typing import cast

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.projections.polar import PolarAxes

from diagnosis.reports.model import LEVEL_NAMES, DimensionScore, SceneLevel

# Noto Sans CJK SC (SIL Open Font License 1.1), as shipped by the PyPI package `mplfonts`.
# That package also ships SimHei.ttf, which is not freely licensed: never use it.
FONT_PACKAGE = "mplfonts"
FONT_FILE = "NotoSansCJKsc-Regular.otf"
FONT_LICENSE = "SIL Open Font License 1.1"

_ACCENT = "#1f6fb2"
_MEETS = "#2e9d6b"
_BELOW = "#e08a2c"
_DPI = 200


@lru_cache(maxsize=1)
def cjk_font_path() -> Path:
    """The font file inside the installed package; never a system font, never a download."""
    # find_spec locates the installed package without executing it (mplfonts imports matplotlib on import).
    spec = find_spec(FONT_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "fonts" / FONT_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(f"{FONT_FILE} not found: install the PyPI package {FONT_PACKAGE!r}")


def _font(size: float) -> FontProperties:
    return FontProperties(fname=str(cjk_font_path()), size=size)


def _png(fig: Figure) -> bytes:
    canvas = FigureCanvasAgg(fig)
    out = BytesIO()
    canvas.print_png(out)
    return out.getvalue()


def radar_chart(dimensions: Sequence[DimensionScore]) -> bytes:
    """Each dimension's score as a percentage of its maximum, on a radar (three or more axes)."""
    if len(dimensions) < 3:
        raise ValueError("a radar chart needs at least three dimensions")
    n = len(dimensions)
    angles = [2 * math.pi * i / n for i in range(n)]
    values = [100 * d.ratio for d in dimensions]
    fig = Figure(figsize=(5.0, 4.0), dpi=_DPI)
    ax = cast(PolarAxes, fig.add_subplot(projection="polar"))
    ax.set_theta_offset(math.pi / 2)  # first dimension at the top, then clockwise
    ax.set_theta_direction(-1)
    ax.plot([*angles, angles[0]], [*values, values[0]], color=_ACCENT, linewidth=2)
    ax.fill([*angles, angles[0]], [*values, values[0]], color=_ACCENT, alpha=0.25)
    ax.set_ylim(0, 100)
    ax.set_yticks([20, 40, 60, 80, 100])
    ax.set_yticklabels(["20%", "40%", "60%", "80%", "100%"], fontproperties=_font(8), color="#666666")
    ax.set_rlabel_position(180 / n)
    ax.set_xticks(angles)
    ax.set_xticklabels([f"{d.name}\n{v:.0f}%" for d, v in zip(dimensions, values, strict=True)], fontproperties=_font(12))
    ax.tick_params(axis="x", pad=14)
    ax.set_title("维度得分率", fontproperties=_font(14), pad=16)
    fig.tight_layout()
    return _png(fig)


def scene_chart(scenes: Sequence[SceneLevel], target_name: str | None = None) -> bytes:
    """Each scene's level as a bar, with the level the next enterprise level requires as a marker."""
    n = len(scenes)
    fig = Figure(figsize=(7.0, 0.32 * n + 1.5), dpi=_DPI)
    ax = fig.add_subplot()
    ys = list(range(n))[::-1]
    colors = [_MEETS if s.meets else _BELOW for s in scenes]
    ax.barh(ys, [max(s.level, 0.06) for s in scenes], color=colors, height=0.6)
    required = [(s.required_level, y) for s, y in zip(scenes, ys, strict=True) if s.required_level > 0]
    if required:
        ax.scatter([r for r, _ in required], [y for _, y in required], marker="|", s=260, linewidths=2.5, color="#222222", zorder=3)
    ax.set_yticks(ys)
    ax.set_yticklabels([("★ " if s.constrained else "") + s.name for s in scenes], fontproperties=_font(9))
    ax.set_xlim(0, 4.3)
    ax.set_xticks(range(5))
    ax.set_xticklabels([LEVEL_NAMES[i] for i in range(5)], fontproperties=_font(9))
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    requirement = f"{target_name}要求" if target_name else "下一等级要求"
    handles = [
        Patch(color=_MEETS, label="已达到要求"),
        Patch(color=_BELOW, label="未达到要求"),
        Line2D([], [], color="#222222", marker="|", linestyle="none", markersize=12, markeredgewidth=2.5, label=requirement),
    ]
    ax.legend(handles=handles, prop=_font(8), loc="lower right", framealpha=0.9)
    ax.set_title("场景等级与下一等级要求（★ 约束性场景）", fontproperties=_font(12))
    fig.tight_layout()
    return _png(fig)
