"""The village's notice board (驻村第一书记公示牌) and contact cards (联系卡), as A4 pages to print.

Both carry a QR code of the public page's address, drawn from segno's matrix as an inline SVG
(one path of horizontal runs, one unit per module), so nothing is fetched and the code prints
sharp at any size. The portrait is inlined as a ``data:`` image. The pages' one inline style is
allowed by its hash; they run no script (the app that opens them adds the print button's click).
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

import segno

from api.public.schemas import PublicVillage

QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
CARDS_PER_PAGE = 10
STATUS_NAMES = {"none": "", "rectifying": "整改中", "accepted": "已验收通过"}

PAGE_STYLE = """
@page { size: A4 portrait; margin: 12mm; }
body { font-family: "Noto Serif CJK SC", "SimSun", serif; font-size: 12pt; color: #000; }
body { margin: 0 auto; max-width: 186mm; }
h1 { font-size: 30pt; text-align: center; margin: 0 0 2mm; letter-spacing: 2pt; }
.place { text-align: center; font-size: 16pt; margin: 0 0 6mm; }
.who { display: flex; gap: 6mm; align-items: flex-start; margin-bottom: 5mm; }
.who img { width: 32mm; height: 42mm; object-fit: cover; border: 0.5pt solid #000; }
.who dl { margin: 0; font-size: 16pt; line-height: 1.8; }
.who dt { display: inline; font-weight: bold; }
.who dd { display: inline; margin: 0; }
.who dd::after { content: ""; display: block; }
h2 { font-size: 16pt; margin: 4mm 0 2mm; border-bottom: 1pt solid #000; }
table { border-collapse: collapse; width: 100%; font-size: 11.5pt; }
th, td { border: 0.5pt solid #000; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
tr { break-inside: avoid; }
.qr { text-align: center; margin-top: 6mm; break-inside: avoid; }
.qr svg { width: 60mm; height: 60mm; }
.qr p { margin: 1mm 0; font-size: 12pt; word-break: break-all; }
.print { display: block; margin: 0 auto 6mm; font-size: 14pt; padding: 2mm 8mm; }
.cards { display: grid; grid-template-columns: 1fr 1fr; gap: 0; }
.card { box-sizing: border-box; height: 54mm; border: 0.5pt dashed #000; padding: 4mm; display: flex; gap: 3mm;
  break-inside: avoid; }
.card svg { width: 30mm; height: 30mm; flex: none; }
.card h3 { font-size: 12pt; margin: 0 0 2mm; }
.card p { margin: 0 0 1mm; font-size: 10pt; }
.card .ask { font-size: 13pt; font-weight: bold; margin-top: 2mm; }
@media print { .print { display: none; } }
"""
# The hash that lets exactly this style run where inline style is otherwise refused; the app's
# own policy carries it too, as the app writes these pages into a tab of its own.
PAGE_STYLE_SOURCE = f"'sha256-{base64.b64encode(hashlib.sha256(PAGE_STYLE.encode()).digest()).decode()}'"
PAGE_POLICY = (
    f"default-src 'none'; style-src {PAGE_STYLE_SOURCE}; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def qr_matrix(url: str) -> list[list[bool]]:
    """segno's modules for ``url`` (dark is True), without the quiet zone."""
    code = segno.make(url, error="m", micro=False)
    return [[bool(m) for m in row] for row in code.matrix]


def qr_svg(url: str, *, label: str) -> str:
    """The QR code of ``url`` as an inline SVG: one unit per module, dark runs as one path."""
    matrix = qr_matrix(url)
    size = len(matrix) + 2 * QUIET_ZONE
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}h{x - start}v1h-{x - start}z")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges" '
        f'role="img" aria-label="{escape(label)}" data-modules="{len(matrix)}" data-quiet-zone="{QUIET_ZONE}">'
        f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def _head(title: str) -> str:
    return (
        f'<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(title)}</title>'
        f"<style>{PAGE_STYLE}</style></head>\n<body>\n"
        '<button type="button" class="print" data-print>打印</button>\n'
    )


def _place(v: PublicVillage) -> str:
    return escape(" ".join(n for n in (v.town_name, v.village_name) if n))


def notice_html(*, village: PublicVillage, portrait: bytes | None, url: str, progress: tuple[int, int]) -> str:
    """The A4 notice board: who is posted, how to reach them, the rectification plan, the QR."""
    s = village.secretary
    photo = (
        f'<img src="data:image/jpeg;base64,{base64.b64encode(portrait).decode()}" alt="第一书记照片">'
        if portrait and s
        else ""
    )
    lines = []
    if s:
        lines += [("第一书记", s.display_name), ("派出单位", s.dispatch_unit), ("联系电话", s.phone or "—")]
    else:
        lines.append(("第一书记", "暂缺"))
    if village.team:
        lines.append(("工作队", "、".join(f"{m.display_name}（{m.dispatch_unit}）" for m in village.team)))
    who = "".join(f"<dt>{escape(k)}：</dt><dd>{escape(v)}</dd>" for k, v in lines)
    done, total = progress
    plan = ""
    if village.problems:
        rows = "".join(
            f"<tr><td>{escape(p.category_label)}</td><td>{escape(p.description)}</td><td>"
            + (
                "<br>".join(
                    f"{escape(m.text)}（{m.deadline.isoformat()} 前，{escape(m.status_label)}"
                    f"{'，已逾期' if m.overdue else ''}）"
                    for m in p.measures
                )
                or "—"
            )
            + "</td></tr>"
            for p in village.problems
        )
        state = STATUS_NAMES.get(village.rectification_status, "")
        plan = (
            f"<h2>整顿整改{('（' + escape(state) + '）') if state else ''}：已完成 {done}/{total} 项措施</h2>"
            f"<table><thead><tr><th>问题类别</th><th>问题</th><th>整改措施（时限、进展）</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    return (
        _head(f"驻村第一书记公示牌 · {village.village_name}")
        + f'<h1>驻村第一书记公示牌</h1>\n<p class="place">{_place(village)}</p>\n'
        + f'<div class="who">{photo}<dl>{who}</dl></div>\n'
        + f"<h2>本月入户走访 {village.home_visits_this_month} 次</h2>\n"
        + plan
        + f'\n<div class="qr">{qr_svg(url, label="本村公开页二维码")}'
        + f"<p>扫码查看本村公开信息、给第一书记留言</p><p>{escape(url)}</p></div>\n</body></html>\n"
    )


def cards_html(*, village: PublicVillage, url: str) -> str:
    """An A4 sheet of ten contact cards to cut apart and hand out on visits."""
    s = village.secretary
    name = s.display_name if s else "暂缺"
    phone = (s.phone if s else None) or "—"
    qr = qr_svg(url, label="本村公开页二维码")
    card = (
        f'<div class="card">{qr}<div><h3>{escape(village.village_name)} 联系卡</h3>'
        f"<p>第一书记：{escape(name)}</p><p>电话：{escape(phone)}</p>"
        f'<p class="ask">有事请找我</p><p>扫码可留言</p></div></div>'
    )
    return (
        _head(f"联系卡 · {village.village_name}")
        + f'<div class="cards">{card * CARDS_PER_PAGE}</div>\n</body></html>\n'
    )
