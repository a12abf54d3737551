"""The bulletin as files: CSV (the village ranking), XLSX (five sheets) and a printable A4 page."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from api.bulletins.schemas import Bulletin, Problem, RectificationStanding, Standing
from api.spreadsheets import COUNT, PERCENT, POINTS, TEXT, Column, add_sheet, book_bytes, csv_bytes, new_book

STATUS_NAMES = {"open": "待处理", "acknowledged": "已知悉", "dismissed": "已排除", "resolved": "已整改"}
SEVERITY_NAMES = {"high": "严重", "medium": "一般", "low": "轻微"}


def _figures() -> list[Column[Standing]]:
    """The columns towns and villages share, after their names."""
    return [
        Column("农户数", lambda s: s.households, 8, COUNT),
        Column("走访户数", lambda s: s.households_visited, 9, COUNT),
        Column("入户覆盖率", lambda s: s.coverage, 10, PERCENT),
        Column("较上季", lambda s: s.coverage_change, 8, POINTS),
        Column("走访次数", lambda s: s.visits, 9, COUNT),
        Column("驻村天数", lambda s: s.presence_days, 9, COUNT),
        Column("驻村率", lambda s: s.presence_rate, 8, PERCENT),
        Column("较上季", lambda s: s.presence_change, 8, POINTS),
        Column("抽查见到户数", lambda s: s.households_inspected, 11, COUNT),
        Column("群众知晓率", lambda s: s.awareness_rate, 10, PERCENT),
        Column("较上季", lambda s: s.awareness_change, 8, POINTS),
        Column("发现问题", lambda s: s.flags_raised, 9, COUNT),
        Column("未处理问题", lambda s: s.open_flags, 10, COUNT),
        Column("群众诉求", lambda s: s.requests, 9, COUNT),
        Column("已办结", lambda s: s.requests_resolved, 8, COUNT),
        Column("办结率", lambda s: s.requests_resolved_rate, 8, PERCENT),
    ]


VILLAGE_COLUMNS: list[Column[Standing]] = [
    Column("排名", lambda s: s.rank, 6, COUNT),
    Column("乡镇", lambda s: s.town_name or "", 12),
    Column("村", lambda s: s.name, 12),
    Column("村代码", lambda s: s.code, 14, TEXT),
    Column("软弱涣散村", lambda s: "是" if s.weak_lax else "否", 10),
    *_figures(),
]
TOWN_COLUMNS: list[Column[Standing]] = [
    Column("排名", lambda s: s.rank, 6, COUNT),
    Column("乡镇", lambda s: s.name, 14),
    Column("村数", lambda s: s.villages, 6, COUNT),
    *_figures(),
]
RECTIFICATION_COLUMNS: list[Column[RectificationStanding]] = [
    Column("乡镇", lambda r: r.name, 14),
    Column("整改中的村", lambda r: r.villages_rectifying, 10, COUNT),
    Column("验收通过的村", lambda r: r.villages_accepted, 11, COUNT),
    Column("整改措施", lambda r: r.measures, 9, COUNT),
    Column("已完成", lambda r: r.measures_done, 8, COUNT),
    Column("逾期未完成", lambda r: r.measures_overdue, 10, COUNT),
]


def _problem_columns(tz: ZoneInfo) -> list[Column[Problem]]:
    return [
        Column("发现时间", lambda p: p.raised_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"), 17),
        Column("乡镇", lambda p: p.town_name or "", 12),
        Column("村", lambda p: p.village_name, 12),
        Column("问题类型", lambda p: p.kind_name, 14),
        Column("程度", lambda p: SEVERITY_NAMES.get(p.severity, p.severity), 6),
        Column("情况", lambda p: p.detail, 60),
        Column("处理状态", lambda p: STATUS_NAMES.get(p.status, p.status), 9),
    ]


Line = tuple[str, Any, str | None]


def _overview_lines(b: Bulletin) -> list[Line]:
    o = b.overview
    return [
        ("范围", b.scope_name, None),
        ("季度", b.quarter, None),
        ("统计期间", f"{b.period_start.isoformat()} 至 {b.period_end.isoformat()}", None),
        ("村数（本季度有派驻）", o.villages, COUNT),
        ("没有派驻、不参加统计的村", b.unposted_villages, COUNT),
        ("农户数", o.households, COUNT),
        ("本季度走访户数", o.households_visited, COUNT),
        ("入户覆盖率", o.coverage, PERCENT),
        ("覆盖率较上季", o.coverage_change, POINTS),
        ("走访次数", o.visits, COUNT),
        ("驻村率", o.presence_rate, PERCENT),
        ("驻村率较上季", o.presence_change, POINTS),
        ("督查抽查见到户数", o.households_inspected, COUNT),
        ("群众知晓率", o.awareness_rate, PERCENT),
        ("知晓率较上季", o.awareness_change, POINTS),
        ("发现问题", o.flags_raised, COUNT),
        ("未处理问题", o.open_flags, COUNT),
        ("群众诉求", o.requests, COUNT),
        ("诉求办结率", o.requests_resolved_rate, PERCENT),
    ]


OVERVIEW_COLUMNS: list[Column[Line]] = [
    Column("项目", lambda line: line[0], 18),
    Column("数值", lambda line: line[1], 26, lambda line: line[2]),
]


def bulletin_csv(b: Bulletin) -> bytes:
    return csv_bytes(VILLAGE_COLUMNS, b.villages)


def bulletin_xlsx(b: Bulletin, *, tz: ZoneInfo) -> bytes:
    book = new_book()
    add_sheet(book, "概况", OVERVIEW_COLUMNS, _overview_lines(b), title=b.title, landscape=False)
    add_sheet(book, "乡镇排名", TOWN_COLUMNS, b.towns, title=b.title)
    add_sheet(book, "村排名", VILLAGE_COLUMNS, b.villages, title=b.title)
    add_sheet(book, "整顿整改", RECTIFICATION_COLUMNS, b.rectification, title=b.title, landscape=False)
    add_sheet(book, "问题清单", _problem_columns(tz), b.problems, title=b.title)
    return book_bytes(book)


# --- the printable page ------------------------------------------------------------------------


def _cell(value: Any, number_format: str | Callable[[Any], str | None] | None) -> str:
    if value is None:
        return "—"
    if number_format == PERCENT:
        return f"{value * 100:.1f}%"
    if number_format == POINTS:
        return f"{value * 100:+.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return escape(str(value))


def _table(columns: list[Column[Any]], rows: list[Any]) -> str:
    head = "".join(f"<th>{escape(c.header)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(c.value(r), c.number_format)}</td>" for c in columns) + "</tr>" for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


PAGE_STYLE = """
@page { size: A4 landscape; margin: 12mm 10mm; }
body { font-family: "Noto Serif CJK SC", "SimSun", serif; font-size: 10.5pt; color: #000; }
body { margin: 0 auto; max-width: 277mm; }
h1 { font-size: 18pt; text-align: center; margin: 0 0 4mm; }
.meta { text-align: center; margin: 0 0 6mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; break-after: avoid; }
table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border: 0.5pt solid #000; padding: 1mm 1.2mm; text-align: center; }
td:nth-child(2), td:nth-child(3) { white-space: nowrap; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
.problems td:nth-child(6) { text-align: left; }
p.summary { text-indent: 2em; line-height: 1.7; }
.print { display: block; margin: 0 auto 6mm; font-size: 14pt; padding: 2mm 8mm; }
@media print { .print { display: none; } }
"""
# The hash that lets exactly this style run where a policy forbids inline style. The app's own
# policy carries it too: the app opens the page in a new tab of its own (api/ops/headers.py).
PAGE_STYLE_SOURCE = f"'sha256-{base64.b64encode(hashlib.sha256(PAGE_STYLE.encode()).digest()).decode()}'"
# The printable page carries its style inline and nothing else: a policy that allows exactly
# that style (by its hash) and no script at all.
PAGE_POLICY = (
    f"default-src 'none'; style-src {PAGE_STYLE_SOURCE}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def bulletin_html(b: Bulletin, *, tz: ZoneInfo) -> str:
    o = b.overview

    def pct(value: float | None) -> str:
        return _cell(value, PERCENT)

    summary = (
        f"本季度（{b.period_start.isoformat()} 至 {b.period_end.isoformat()}{'' if b.complete else '，季度未结束'}），"
        f"{escape(b.scope_name)}有派驻的村共 {o.villages:,} 个、{o.households:,} 户"
        f"（另有 {b.unposted_villages:,} 个村本季度没有派驻，不参加统计和排名）。"
        f"第一书记入户走访 {o.households_visited:,} 户，"
        f"覆盖率 {pct(o.coverage)}；走访 {o.visits:,} 次；驻村率 {pct(o.presence_rate)}。"
        f"督查抽查见到农户 {o.households_inspected:,} 户，群众知晓率 {pct(o.awareness_rate)}。"
        f"发现问题 {o.flags_raised:,} 个，尚未处理 {o.open_flags:,} 个；群众诉求 {o.requests:,} 件，"
        f"办结率 {pct(o.requests_resolved_rate)}。"
    )
    if b.rectification:
        t = b.rectification[-1]
        summary += (
            f"软弱涣散村整顿：{t.villages_rectifying:,} 个村整改中，{t.villages_accepted:,} 个村验收通过；"
            f"整改措施 {t.measures:,} 项，已完成 {t.measures_done:,} 项，逾期未完成 {t.measures_overdue:,} 项。"
        )
    generated = b.generated_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{escape(b.title)}</title>
<style>{PAGE_STYLE}</style></head>
<body>
<h1>{escape(b.title)}</h1>
<p class="meta">统计期间：{b.period_start.isoformat()} 至 {b.period_end.isoformat()}　生成时间：{generated}</p>
<h2>一、总体情况</h2>
<p class="summary">{summary}</p>
<h2>二、乡镇排名</h2>
{_table(TOWN_COLUMNS, b.towns)}
<h2>三、村排名</h2>
{_table(VILLAGE_COLUMNS, b.villages)}
<h2>四、软弱涣散村整顿整改情况</h2>
<p>按范围内有整顿台账的全部村统计（含本季度没有派驻的村），截至统计截止日。</p>
{_table(RECTIFICATION_COLUMNS, b.rectification) if b.rectification else "<p>本季度范围内没有整顿台账。</p>"}
<h2>五、发现的问题（{len(b.problems):,} 个）</h2>
<div class="problems">{_table(_problem_columns(tz), b.problems) if b.problems else "<p>本季度未发现问题。</p>"}</div>
</body></html>
"""
