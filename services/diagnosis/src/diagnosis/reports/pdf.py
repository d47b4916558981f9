"""The diagnosis report as an A4 PDF in Chinese, with fpdf2 and the packaged Noto Sans CJK SC font.

The report is first planned as a list of blocks, so the exact set of characters is known before the
font is built: the font is then subset to those characters and its CFF outlines are converted to
TrueType. fpdf2 embeds a CID-keyed CFF font with a custom encoding CMap that several text extractors
(pypdf among them) cannot decode; TrueType outlines give the usual CIDFontType2 + Identity-H embedding
with a ToUnicode map, which every reader handles. The embedded font is a subset (FontFile2).
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, WrapMode

from diagnosis.reports.charts import cjk_font_path, radar_chart, scene_chart
from diagnosis.reports.model import REPORT_TITLE, ReportData, level_name, points

FAMILY = "NotoSansCJKsc"
_ACCENT = (31, 111, 178)
_GREY = (110, 110, 110)
_HEAD_FILL = (226, 236, 246)
_NUMERALS = "一二三四五六七八九十"
_ALWAYS = "".join(chr(c) for c in range(0x20, 0x7F)) + "第页共／"


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Para:
    text: str
    size: float = 10.0
    color: tuple[int, int, int] = (0, 0, 0)
    align: str = "L"


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]
    headings: bool = True


@dataclass(frozen=True)
class Image:
    png: bytes
    width_mm: float


Block = Heading | Para | Table | Image


def _texts(blocks: Iterable[Block]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Heading | Para):
            yield block.text
        elif isinstance(block, Table):
            for row in block.rows:
                yield from row


def _bullets(lines: Iterable[str]) -> list[Block]:
    return [Para(f"• {line}") for line in lines]


def _plan(data: ReportData) -> list[Block]:
    e = data.enterprise
    gap = data.gap
    target = level_name(gap.target_level) if gap.target_level is not None else None
    sections: list[tuple[str, list[Block]]] = [
        (
            "企业信息",
            [
                Table(
                    (
                        ("企业名称", e.name, "统一社会信用代码", e.uscc),
                        ("所在区", e.district, "所属行业", e.sector),
                        ("评测方式", data.mode_label, "评测阶段", data.stage_label),
                        ("报告编号", data.report_id, "出具日期", data.issued_at.isoformat()),
                    ),
                    (1.1, 2.0, 1.4, 2.0),
                    headings=False,
                )
            ],
        ),
        (
            "评测等级",
            [
                Para(f"数字化水平：{data.level_name}", size=16, color=_ACCENT),
                Para(f"等级含义：{data.level_meaning}"),
                Table(
                    (
                        ("判定依据", "等级", "说明"),
                        ("按得分", level_name(data.level_by_score), f"总分 {points(data.total_milli)} / {points(data.max_milli)} 分"),
                        ("按场景等级", level_name(data.level_by_scenes), _scene_count(data)),
                        ("最终等级", data.level_name, data.binding_label),
                    ),
                    (1.2, 1.0, 3.6),
                ),
            ],
        ),
        ("维度得分", _dimension_blocks(data)),
        ("场景等级", _scene_blocks(data, target)),
        ("差距分析", _gap_blocks(data, target)),
        ("薄弱场景", _weak_blocks(data)),
    ]
    if data.plan_lines:
        sections.append(("改造方案", _bullets(data.plan_lines)))
    notes = [f"指标版本：{data.edition_id}", *data.provenance, "本报告依据评测数据自动生成，等级以主管部门认定为准。"]
    sections.append(("说明", _bullets(notes)))
    blocks: list[Block] = [
        Para(REPORT_TITLE, size=18, align="C"),
        Para(f"{e.name}　·　{data.issued_at.isoformat()}", size=10, color=_GREY, align="C"),
    ]
    for number, (title, body) in zip(_NUMERALS, sections, strict=False):
        blocks.append(Heading(f"{number}、{title}"))
        blocks.extend(body)
    return blocks


def _scene_count(data: ReportData) -> str:
    at = data.gap.target_level or 4
    reached = [s for s in data.scenes if s.level >= at]
    constrained = sum(1 for s in reached if s.constrained)
    return f"{len(data.scenes)} 个场景中达到{level_name(at)}的 {len(reached)} 个（其中约束性 {constrained} 个）"


def _dimension_blocks(data: ReportData) -> list[Block]:
    rows = [("维度", "得分", "满分", "得分率")]
    rows += [(d.name, points(d.score_milli), points(d.max_milli), f"{100 * d.ratio:.0f}%") for d in data.dimensions]
    total_ratio = 100 * data.total_milli / data.max_milli if data.max_milli else 0.0
    rows.append(("合计", points(data.total_milli), points(data.max_milli), f"{total_ratio:.0f}%"))
    chart: list[Block] = [Image(radar_chart(data.dimensions), 90)] if len(data.dimensions) >= 3 else []
    return [*chart, Table(tuple(rows), (2.0, 1.0, 1.0, 1.0))]


def _scene_blocks(data: ReportData, target: str | None) -> list[Block]:
    required = f"{target}要求" if target else "下一等级要求"
    rows = [("编号", "场景", "约束性", "当前等级", required, "是否达到")]
    for s in data.scenes:
        req = level_name(s.required_level) if s.required_level else "—"
        rows.append((s.code, s.name, "约束性" if s.constrained else "指导性", level_name(s.level), req, "是" if s.meets else "否"))
    return [Image(scene_chart(data.scenes, target), 170), Table(tuple(rows), (0.8, 1.5, 1.0, 1.1, 1.3, 1.0))]


def _gap_blocks(data: ReportData, target: str | None) -> list[Block]:
    gap = data.gap
    if target is None:
        return [Para("已达到最高等级（四级），不存在下一等级的差距。"), *_bullets(gap.lines)]
    rows = (
        ("项目", f"距{target}的差距"),
        ("总分", f"还差 {points(gap.points_missing_milli)} 分" if gap.points_missing_milli > 0 else "已满足"),
        ("达到要求的场景", f"还差 {gap.scenes_missing} 个" if gap.scenes_missing > 0 else "已满足"),
        ("达到要求的约束性场景", f"还差 {gap.constrained_scenes_missing} 个" if gap.constrained_scenes_missing > 0 else "已满足"),
    )
    return [Para(f"当前等级为{data.level_name}，下一等级为{target}。"), Table(rows, (2.0, 3.0)), *_bullets(gap.lines)]


def _weak_blocks(data: ReportData) -> list[Block]:
    if not data.weakest:
        return [Para("无。")]
    rows = [("场景", "当前等级", "改进建议")] + [(w.name, level_name(w.level), w.suggestion) for w in data.weakest]
    return [Table(tuple(rows), (1.3, 1.0, 4.2))]


def _truetype_subset(text: str, dest: Path) -> Path:
    """The packaged CFF font cut down to `text`'s characters, with its outlines converted to TrueType."""
    font = TTFont(str(cjk_font_path()))
    options = subset.Options()
    options.layout_features = []
    options.name_IDs = ["*"]  # keep the copyright and licence notices
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    for tag in ("CFF ", "VORG"):
        if tag in font:
            del font[tag]
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    glyf.compile(font)
    hmtx = font["hmtx"]
    for name, glyph in glyf.glyphs.items():
        hmtx[name] = (hmtx[name][0], getattr(glyph, "xMin", 0))
    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    maxp.maxComponentElements = 0
    font["maxp"] = maxp
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    path = dest / "NotoSansCJKsc-Regular-subset.ttf"
    font.save(str(path))
    return path


class _Document(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=18)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=8)
        self.set_text_color(*_GREY)
        self.cell(0, 6, f"{self.footer_text}    第 {self.page_no()} 页／共 {{nb}} 页", align="C")


def _draw(pdf: _Document, block: Block) -> None:
    if isinstance(block, Heading):
        if pdf.will_page_break(30):
            pdf.add_page()
        pdf.ln(4)
        pdf.set_font(FAMILY, size=13)
        pdf.set_text_color(*_ACCENT)
        pdf.cell(0, 8, block.text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_draw_color(*_ACCENT)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        pdf.ln(2)
    elif isinstance(block, Para):
        pdf.set_font(FAMILY, size=block.size)
        pdf.set_text_color(*block.color)
        pdf.multi_cell(0, block.size * 0.6, block.text, align=block.align, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    elif isinstance(block, Table):
        pdf.set_font(FAMILY, size=9)
        pdf.set_text_color(0, 0, 0)
        pdf.set_draw_color(170, 170, 170)
        with pdf.table(
            col_widths=block.widths,
            text_align="LEFT",
            line_height=5.5,
            padding=(1, 2),
            first_row_as_headings=block.headings,
            headings_style=FontFace(emphasis="", fill_color=_HEAD_FILL),
            borders_layout=TableBordersLayout.ALL,
            wrapmode=WrapMode.CHAR,
        ) as table:
            for cells in block.rows:
                row = table.row()
                for text in cells:
                    row.cell(text)
        pdf.ln(2)
    else:
        width_px, height_px = struct.unpack(">II", block.png[16:24])
        height = block.width_mm * height_px / width_px
        if pdf.will_page_break(height):
            pdf.add_page()
        pdf.image(BytesIO(block.png), x=(pdf.w - block.width_mm) / 2, w=block.width_mm, h=height)
        pdf.ln(2)


def render_pdf(data: ReportData) -> bytes:
    """The report as PDF bytes (A4, Chinese, subset font embedded, page numbers in the footer)."""
    blocks = _plan(data)
    footer = f"{REPORT_TITLE}　{data.report_id}"
    text = _ALWAYS + footer + "".join(_texts(blocks))
    with tempfile.TemporaryDirectory(prefix="sihua-report-") as tmp:
        pdf = _Document(footer)
        pdf.add_font(FAMILY, "", str(_truetype_subset(text, Path(tmp))))
        pdf.set_title(REPORT_TITLE)
        pdf.set_subject(f"{data.enterprise.name} {data.report_id}")
        pdf.set_creator("Sihua diagnosis")
        pdf.set_lang("zh-CN")
        pdf.add_page()
        for block in blocks:
            _draw(pdf, block)
        return bytes(pdf.output())
