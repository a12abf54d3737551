"""Every error leaves the service as RFC 9457 ``application/problem+json``.

Domain code raises a subclass of ``AppError``; one set of handlers renders those, the
framework's own HTTP and validation errors, and anything unexpected, in the same shape. Human
text (``title``, ``detail``, ``errors[].msg``) is in Chinese, the language of the people who
read it; ``type`` is a stable identifier that scripts can branch on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class AppError(Exception):
    """A failure the user can understand and act on; subclasses set status, type and title."""

    status: ClassVar[int] = 400
    type_: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "请求有误"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors else None
        self.headers = dict(headers) if headers else None


class NotAuthenticated(AppError):
    status = 401
    type_ = "not-authenticated"
    title = "需要登录"

    def __init__(self, detail: str = "请先登录，或提供有效的访问令牌。") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status = 403
    type_ = "forbidden"
    title = "无权操作"


class NotFound(AppError):
    status = 404
    type_ = "not-found"
    title = "未找到"


class Conflict(AppError):
    status = 409
    type_ = "conflict"
    title = "与已有数据冲突"


class PayloadTooLarge(AppError):
    status = 413
    type_ = "payload-too-large"
    title = "文件过大"


class UnsupportedFile(AppError):
    status = 415
    type_ = "unsupported-file"
    title = "文件类型不支持"


class InvalidInput(AppError):
    """Input the server cannot accept; ``loc`` names the field, as validation errors do."""

    status = 422
    type_ = "validation"
    title = "填写的内容有误"

    def __init__(
        self, detail: str, *, loc: Sequence[str] = (), errors: Sequence[Mapping[str, Any]] | None = None
    ) -> None:
        super().__init__(detail, errors=errors or [{"loc": list(loc), "msg": detail}])


class TooManyRequests(AppError):
    status = 429
    type_ = "too-many-requests"
    title = "尝试次数过多"


class ServiceBusy(AppError):
    """Too much at once: nothing was done, and the same request may be sent again later."""

    status = 503
    type_ = "busy"
    title = "服务器繁忙"

    def __init__(self, detail: str = "服务器正忙，请稍后再试。", *, retry_after: int = 30) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


def sendable(text: str) -> str:
    """``text`` with any half of a UTF-16 character (which UTF-8 cannot encode) as "?"."""
    return text.encode("utf-8", "replace").decode("utf-8")


class ProblemResponse(JSONResponse):
    """``application/problem+json`` that can always be sent.

    A problem may quote what the client sent (a field name, a code), and JSON may carry half
    of a UTF-16 character that UTF-8 cannot encode; it is sent as "?" instead of failing.
    """

    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


def problem_response(
    status: int,
    *,
    type_: str | None,
    title: str,
    detail: str,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Render one problem document."""
    body: dict[str, Any] = {
        "type": f"/problems/{type_}" if type_ else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = list(errors)
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


# Pydantic's messages are English and technical; the people filling in these forms are not.
_VALIDATION_MESSAGES = {
    "missing": "必填项未填写",
    "string_type": "应为文字",
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "string_pattern_mismatch": "格式不正确",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "bool_parsing": "应为是或否（true/false）",
    "bool_type": "应为是或否（true/false）",
    "literal_error": "不是允许的取值",
    "enum": "不是允许的取值",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 RFC 3339，例如 2026-05-01T09:30:00+08:00",
    "datetime_from_date_parsing": "时间格式应为 RFC 3339，例如 2026-05-01T09:30:00+08:00",
    "timezone_aware": "时间须带时区，例如 +08:00",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是有效的 JSON",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "greater_than": "数值太小",
    "less_than": "数值太大",
    "too_long": "条目太多",
    "too_short": "内容太短或条目太少",
    "string_unicode": "应为文字（UTF-8）",
    "finite_number": "应为有限的数字",
    "is_instance_of": "应上传文件",
    "extra_forbidden": "不认识的字段",
    "uuid_parsing": "应为 UUID",
    "uuid_type": "应为 UUID",
}


def validation_items(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors as ``{loc, msg, type}`` items, with messages in words people read."""
    items = []
    for err in errors:
        kind = str(err.get("type", ""))
        msg = _VALIDATION_MESSAGES.get(kind)
        if kind == "value_error":
            # Our own validators raise ValueError with a message written for people.
            msg = str(err.get("ctx", {}).get("error", "")) or str(err.get("msg", ""))
        items.append({"loc": list(err.get("loc", ())), "msg": msg or str(err.get("msg", "")), "type": kind})
    return items


def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(
        exc.status, type_=exc.type_, title=exc.title, detail=exc.detail, errors=exc.errors, headers=exc.headers
    )


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = validation_items(exc.errors())
    fields = "、".join(".".join(str(p) for p in item["loc"][1:]) or str(item["loc"][0]) for item in items[:5])
    return problem_response(
        422,
        type_=InvalidInput.type_,
        title=InvalidInput.title,
        detail=f"请检查这些字段：{fields}" if fields else "请求内容无法识别",
        errors=items,
    )


_ERROR_BY_STATUS: dict[int, type[AppError]] = {
    cls.status: cls
    for cls in (
        NotAuthenticated,
        Forbidden,
        NotFound,
        Conflict,
        PayloadTooLarge,
        UnsupportedFile,
        InvalidInput,
        TooManyRequests,
        ServiceBusy,
    )
}

_HTTP_DETAILS = {
    400: "请求内容无法解析：请发送 UTF-8 编码的 JSON 或表单。",
    401: "请先登录，或提供有效的访问令牌。",
    403: "您没有执行此操作的权限。",
    404: "请求的地址或数据不存在。",
    405: "此地址不支持该请求方法。",
    413: "上传的内容过大。",
}


def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    # FastAPI's own 400 says "There was an error parsing the body" in English; ours is clearer.
    custom = isinstance(exc.detail, str) and exc.detail != phrase and status != 400
    detail = str(exc.detail) if custom else _HTTP_DETAILS.get(status, phrase)
    # The framework's own errors get the same type and title as ours of that status, so a
    # script can branch on ``type`` whoever raised the error.
    known = _ERROR_BY_STATUS.get(status)
    return problem_response(
        status,
        type_=known.type_ if known else None,
        title=known.title if known else phrase,
        detail=detail,
        headers=exc.headers,
    )


def _database_refused(_request: Request, exc: Exception) -> JSONResponse:
    # Validation refuses what the database cannot hold; this is the net under it, so that a
    # value it missed is still the client's 422 and never a 500.
    log.warning("database refused a value: %s", exc)
    return problem_response(
        422,
        type_=InvalidInput.type_,
        title=InvalidInput.title,
        detail="提交的某个值超出了可保存的范围或含有不允许的字符。",
    )


def _database_busy(request: Request, exc: Exception) -> JSONResponse:
    # The last line of defence under the admission line (api.ops.admission): a connection not
    # free in time, SQLite's write lock held by another process, a PostgreSQL deadlock, or the
    # database out of reach for a moment (all OperationalError). Nothing was kept, and the same
    # request can simply be sent again later.
    log.warning("database busy or out of reach: %s", exc)
    return _app_error(request, ServiceBusy())


def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem_response(
        500, type_="internal", title="服务器内部错误", detail="服务器处理时出错，数据没有保存。请稍后重试。"
    )


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of error through the problem+json renderers above."""
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _database_refused)
    app.add_exception_handler(PoolTimeout, _database_busy)
    app.add_exception_handler(OperationalError, _database_busy)
    app.add_exception_handler(Exception, _unexpected_error)
