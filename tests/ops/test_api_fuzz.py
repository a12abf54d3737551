"""A bounded schemathesis run over the whole OpenAPI document: no 5xx, and every answer as documented.

Schemathesis draws requests for every operation from the document itself (valid ones and
nearly valid ones: odd unicode, lone surrogates, huge numbers, missing fields), and each is
sent as an administrator, a county supervisor and a first secretary, on each database. No
answer may be a server error, and its status, media type, headers and body must be what the
document says the operation answers.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from sqlmodel import Session

from tests.factories import make_county

ROLES = ("admin", "county", "secretary_a1")
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
BOUNDED = settings(
    max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)


def test_no_server_error_and_every_answer_as_documented(client: TestClient, session: Session) -> None:
    county = make_county(session)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", client.app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @BOUNDED
        @given(case=operation.as_strategy())
        def each_request(case: Any) -> None:
            for role in ROLES:
                case.call_and_validate(headers=county.headers(role), checks=CHECKS)

        try:
            each_request()
        except Exception as exc:  # every operation is tried; all failures are reported together
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
