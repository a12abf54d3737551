"""The rules that keep a crowd of phones from stalling the server (see docs/ARCHITECTURE.md).

A connection is held only by a running thread: every route that uses the request's session
commits it in its own thread, nothing else queries that session, and a request waits for a
place in line (holding nothing) rather than for a connection.
"""

from __future__ import annotations

import asyncio

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.db import SessionDep, get_session
from api.errors import ServiceBusy
from api.ops.admission import Admission
from api.regions.models import Region
from api.routing import CommittingRoute, committing, session_parameter
from tests.loops import run_in_own_loop


def test_every_route_that_uses_the_session_commits_it_in_its_own_thread(client: TestClient) -> None:
    using_session = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute):
            continue
        direct = [d for d in route.dependant.dependencies if d.call is get_session]
        # Nothing but the route itself may take the session: a dependency that queried it would
        # hold a connection while the request waits for the route's thread.
        for dependency in route.dependant.dependencies:
            assert all(sub.call is not get_session for sub in dependency.dependencies), (route.path, dependency.call)
        if direct:
            using_session.append(route.path)
            assert isinstance(route, CommittingRoute), route.path
            assert route.endpoint is not getattr(route.endpoint, "__wrapped__", route.endpoint), route.path
    assert len(using_session) > 40


def test_a_committing_endpoint_has_committed_when_it_returns(engine: Engine) -> None:
    def endpoint(session: SessionDep) -> str:
        session.add(Region(code="520199000000", name="青山县", level="county"))
        return "done"

    assert session_parameter(endpoint) == "session"

    with Session(engine) as session:
        assert committing(endpoint)(session=session) == "done"
        with Session(engine) as elsewhere:  # another connection sees the row at once
            assert elsewhere.exec(select(func.count()).select_from(Region)).one() == 1


def test_a_failing_endpoint_commits_nothing(engine: Engine) -> None:
    def endpoint(session: SessionDep) -> None:
        session.add(Region(code="520199000000", name="青山县", level="county"))
        session.flush()
        raise ValueError("refused")

    with Session(engine) as session, pytest.raises(ValueError, match="refused"):
        committing(endpoint)(session=session)
    with Session(engine) as elsewhere:
        assert elsewhere.exec(select(func.count()).select_from(Region)).one() == 0


def test_the_line_lets_requests_in_in_order_and_turns_away_whoever_waited_too_long() -> None:
    async def scenario() -> None:
        line = Admission(slots=1, wait_s=0.3)
        order: list[str] = []

        async def request(name: str, hold_s: float) -> None:
            async with line.place():
                order.append(name)
                await asyncio.sleep(hold_s)

        first = asyncio.create_task(request("first", 0.2))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(request("second", 0.0))
        await asyncio.sleep(0.01)
        third = asyncio.create_task(request("third", 0.0))
        await asyncio.gather(first, second, third)
        assert order == ["first", "second", "third"]

        blocker = asyncio.create_task(request("slow", 1.0))
        await asyncio.sleep(0.01)
        with pytest.raises(ServiceBusy) as refused:
            await request("late", 0.0)
        assert refused.value.status == 503
        assert refused.value.headers is not None
        assert 0 < int(refused.value.headers["Retry-After"]) <= 1
        assert line.waiting == 0
        await blocker

    run_in_own_loop(scenario)
