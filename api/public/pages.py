"""``/v/{village_code}``: the village's public page, as plain HTML for a cheap phone over 3G.

No script, one small stylesheet, every text escaped: the page works on any browser a villager
has, and what a stranger typed into a message or a ledger can never run on it. The message form
posts form-encoded to the page itself and goes through the same service as the JSON API; on
success it redirects to the receipt's page (``/v/{code}/m/{receipt}``), which a villager keeps.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from api.clock import TodayDep
from api.db import SessionDep
from api.errors import NotFound, TooManyRequests
from api.public import router as public_api
from api.public import service
from api.public.schemas import MESSAGE_CATEGORIES, MESSAGE_MAX_LENGTH, MessageIn, PublicVillage
from api.regions import codes
from api.routing import api_router

LATE = ' <span class="status late">已逾期</span>'

router = api_router(include_in_schema=False)

STYLESHEET = (Path(__file__).parent / "public.css").read_bytes()
RECEIPT_WORDS = {"received": "留言已收到", "in_progress": "办理中", "resolved": "已办结"}
FIELD_NAMES = {"category": "类别", "text": "留言内容", "name": "姓名", "phone": "电话"}


@router.get("/v/public.css")
def stylesheet() -> Response:
    return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=86400"})


def _page(title: str, body: str, *, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    html = (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="/v/public.css"></head>\n'
        f"<body><main>\n{body}\n</main></body></html>\n"
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})})


def _not_found() -> HTMLResponse:
    return _page("页面不存在", "<h1>页面不存在</h1><p>没有找到这个村的公开页面，请核对地址或二维码。</p>", status=404)


def _code(value: str) -> str | None:
    try:
        return codes.normalize(value)
    except codes.BadCode:
        return None


def _village_html(v: PublicVillage, *, form: dict[str, str], error: str | None) -> str:
    parts = [f"<h1>{escape(v.village_name)}</h1>"]
    if v.town_name:
        parts.append(f'<p class="muted">{escape(v.town_name)}</p>')
    s = v.secretary
    if s:
        photo = (
            f'<img src="/api/v1/public/villages/{v.village_code}/portrait" '
            f'alt="第一书记{escape(s.display_name)}的照片">'
            if s.has_portrait
            else ""
        )
        phone = f'<p>电话：<a href="tel:{escape(s.phone)}">{escape(s.phone)}</a></p>' if s.phone else ""
        parts.append(
            f'<section class="person">{photo}<div><p class="muted">驻村第一书记</p>'
            f'<p class="big">{escape(s.display_name)}</p>'
            f"<p>派出单位：{escape(s.dispatch_unit)}</p>{phone}</div></section>"
        )
    if v.team:
        members = "".join(f"<li>{escape(m.display_name)}（{escape(m.dispatch_unit)}）</li>" for m in v.team)
        parts.append(f"<section><p class='muted'>驻村工作队</p><ul>{members}</ul></section>")
    parts.append(
        f'<section><p class="muted">本月入户走访</p><p class="big">{v.home_visits_this_month} 次</p></section>'
    )
    if v.problems:
        state = {"rectifying": "（整改中）", "accepted": "（已验收通过）"}.get(v.rectification_status, "")
        items = []
        for p in v.problems:
            measures = "".join(
                f"<li>{escape(m.text)}<br><span class='muted'>目标：{escape(m.target)}；"
                f"时限：{m.deadline.isoformat()}</span> <span class='status'>{escape(m.status_label)}</span>"
                f"{LATE if m.overdue else ''}</li>"
                for m in p.measures
            )
            items.append(
                f"<section><p><b>{escape(p.category_label)}</b>：{escape(p.description)}</p>"
                + (f"<ul>{measures}</ul>" if measures else "")
                + "</section>"
            )
        parts.append(f"<h2>整顿整改{state}</h2>" + "".join(items))
    parts.append(_form_html(v.village_code, form=form, error=error))
    return "\n".join(parts)


def _form_html(code: str, *, form: dict[str, str], error: str | None) -> str:
    chosen = form.get("category", "")
    options = "".join(f"<option{' selected' if c == chosen else ''}>{escape(c)}</option>" for c in MESSAGE_CATEGORIES)
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return (
        f'<h2>给第一书记留言</h2><form method="post" action="/v/{code}">{problem}'
        f'<label for="category">类别</label><select id="category" name="category">{options}</select>'
        f'<label for="text">留言内容（{MESSAGE_MAX_LENGTH} 字以内）</label>'
        f'<textarea id="text" name="text" rows="5" maxlength="{MESSAGE_MAX_LENGTH}" required>'
        f"{escape(form.get('text', ''))}</textarea>"
        f'<label for="name">姓名（可不填）</label><input id="name" name="name" maxlength="50" '
        f'autocomplete="name" value="{escape(form.get("name", ""))}">'
        f'<label for="phone">电话（可不填，填写后方便回复您）</label><input id="phone" name="phone" type="tel" '
        f'maxlength="20" autocomplete="tel" value="{escape(form.get("phone", ""))}">'
        '<div class="trap" aria-hidden="true"><label for="website">网址（请勿填写）</label>'
        '<input id="website" name="website" tabindex="-1" autocomplete="off"></div>'
        '<button type="submit">提交留言</button>'
        '<p class="muted">提交后会得到一个查询码，凭码可查看办理情况。</p></form>'
    )


@router.get("/v/{code}")
def village_page(code: str, session: SessionDep, today: TodayDep) -> Response:
    normal = _code(code)
    if normal is None:
        return _not_found()
    try:
        village = service.village_page(session, normal, today)
    except NotFound:
        return _not_found()
    page = _page(f"{village.village_name} · 驻村第一书记", _village_html(village, form={}, error=None))
    session.commit()  # the count is a write of its own (see api.audit.service.log_read)
    service.count_view(session, normal, today)
    return page


def _validation_words(exc: ValidationError) -> str:
    words = []
    for item in exc.errors():
        field = FIELD_NAMES.get(str(item["loc"][0]) if item["loc"] else "", "")
        if item["type"] in ("string_too_long",):
            words.append(f"{field}太长了")
        elif item["type"] in ("string_too_short", "missing"):
            words.append(f"请填写{field}")
        else:
            words.append(f"{field}填写有误：{str(item['msg']).removeprefix('Value error, ')}")
    return "；".join(words) + "。"


@router.post("/v/{code}")
def leave_message(
    code: str,
    request: Request,
    session: SessionDep,
    today: TodayDep,
    category: Annotated[str, Form(max_length=50)] = "",
    text: Annotated[str, Form(max_length=5000)] = "",
    name: Annotated[str, Form(max_length=500)] = "",
    phone: Annotated[str, Form(max_length=100)] = "",
    website: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    normal = _code(code)
    if normal is None:
        return _not_found()
    form = {"category": category, "text": text, "name": name, "phone": phone}
    try:
        village = service.village_page(session, normal, today)
    except NotFound:
        return _not_found()
    title = f"{village.village_name} · 驻村第一书记"
    try:
        data = MessageIn.model_validate({**form, "website": website or None})
    except ValidationError as exc:
        return _page(title, _village_html(village, form=form, error=_validation_words(exc)), status=422)
    try:
        receipt = public_api.send_message(request, session, normal, data, today)
    except TooManyRequests as exc:
        page = _village_html(village, form=form, error=exc.detail)
        return _page(title, page, status=429, headers=exc.headers)
    return RedirectResponse(f"/v/{normal}/m/{receipt}", status_code=303)


@router.get("/v/{code}/m/{receipt}")
def receipt_page(code: str, receipt: str, session: SessionDep, today: TodayDep) -> Response:
    normal = _code(code)
    if normal is None or len(receipt) > 12:
        return _not_found()
    try:
        village = service.posted_village(session, normal, today).village
        state = service.message_status(session, normal, receipt)
    except NotFound:
        return _page("查询码不存在", "<h1>查询码不存在</h1><p>请核对查询码。</p>", status=404)
    resolution = (
        f"<section><p class='muted'>办理结果</p><p>{escape(state.resolution)}</p></section>" if state.resolution else ""
    )
    body = (
        f"<h1>{RECEIPT_WORDS[state.status]}</h1><p class='muted'>{escape(village.name)} · {escape(state.category)}</p>"
        f"{resolution}<section><p class='muted'>查询码</p><p class='code'>{escape(receipt.upper())}</p>"
        "<p>请记下或截图保存这个查询码，之后打开本页即可查看办理情况。</p></section>"
        f'<p><a href="/v/{normal}">返回本村公开页</a></p>'
    )
    return _page(f"{RECEIPT_WORDS[state.status]} · {village.name}", body)
