"""The OpenAPI document, with every refusal an operation can answer listed as problem+json.

Generated clients and inspection teams' scripts learn from the document which statuses to
expect. What each operation may refuse follows from what it is, so it is derived here from
the routes themselves rather than written by hand on each one:

- it needs a login or token: 401; a role or scope it lacks: 403; something outside its scope
  or not there: 404;
- it names a record in its path: 404;
- it writes: 409 (a used id, a name taken, an overlapping posting);
- it takes a body: 400 (cannot be parsed at all), 413 (too large) and 422 (not valid); a file: 415;
- it works on the database: 503 with Retry-After when the server is too busy (see
  ``api.ops.admission``);
- an operation adds its own (the login's 429) in its ``responses``.

Every error is RFC 9457 problem+json, so each of these is documented with the ``Problem``
schema under that media type, FastAPI's default 422 included.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, UploadFile
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from api.auth.principal import authenticate
from api.db import get_session
from api.errors import PROBLEM_JSON
from api.ops.admission import request_place

REFUSALS = {
    400: "请求内容无法解析",
    401: "未登录，或登录已过期、令牌无效",
    403: "无权执行此操作（角色不符，或 API 令牌只读）",
    404: "不存在，或不在您的管辖范围内",
    409: "与已有数据冲突（编号已被使用、名称重复等）",
    413: "上传的内容过大",
    415: "文件类型不支持",
    422: "填写的内容有误（errors 中逐项说明）",
    429: "尝试次数过多，请按 Retry-After 稍后再试",
    503: "服务器繁忙，请按 Retry-After 稍后重新发送",
}
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ProblemItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str | None = None


class Problem(BaseModel):
    """An RFC 9457 problem document, as every error of this API is sent."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] | None = None


def _calls(dependant: Dependant) -> set[Any]:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def refusals(route: APIRoute) -> set[int]:
    """The error statuses ``route`` may answer, from what it depends on and takes."""
    calls = _calls(route.dependant)
    params = get_flat_dependant(route.dependant)
    found: set[int] = set()
    if authenticate in calls:
        found |= {401, 403, 404}
        if route.methods & WRITES:
            found.add(409)
    if params.path_params:
        found.add(404)
    if params.body_params:
        found |= {400, 413, 422}  # 400: a form or JSON that cannot be parsed at all
    if any(field.field_info.annotation is UploadFile for field in params.body_params):
        found.add(415)
    if params.query_params or params.path_params:
        found.add(422)
    if get_session in calls or request_place in calls:
        found.add(503)
    found |= {int(code) for code in route.responses if str(code).isdigit() and int(code) >= 400}
    return found


def openapi_schema(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document (made once), with the refusals of every operation."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = FastAPI.openapi(app)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(components["Problem"].pop("$defs", {}))
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods:
            operation = schema["paths"][route.path_format][method.lower()]
            responses = operation.setdefault("responses", {})
            for status in sorted(refusals(route)):
                described = responses.setdefault(str(status), {})
                if status == 422 or not described.get("description"):  # FastAPI's own says "Validation Error"
                    described["description"] = REFUSALS.get(status, "请求未被接受")
                described["content"] = problem
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema
