"""The routers every part of the API is built from.

``CommittingRoute`` ends the request's transaction, committed or rolled back, in the thread
that ran the route. FastAPI runs a plain ``def`` route in a worker thread and then, for the
response, asks for a thread again; a session ended only after that (by the session
dependency) would hold its connection, and on SQLite the write lock, while the request waits
in the thread pool's queue.
Under a crowd of phones, every thread then waits for a connection that a request waiting for a
thread holds: the server stalls. Committed here, a connection is only ever held by a thread
that is running.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, get_args

from fastapi import APIRouter, params
from fastapi.routing import APIRoute
from sqlmodel import Session

from api.db import abandon, finish, get_session


def session_parameter(endpoint: Callable[..., Any]) -> str | None:
    """The name of the route's ``SessionDep`` parameter, if it takes one."""
    for name, parameter in inspect.signature(endpoint, eval_str=True).parameters.items():
        if any(isinstance(a, params.Depends) and a.dependency is get_session for a in get_args(parameter.annotation)):
            return name
    return None


def committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """``endpoint``, committing its request session before it returns (for ``def`` routes)."""
    name = session_parameter(endpoint)
    if name is None or inspect.iscoroutinefunction(endpoint):
        return endpoint

    @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
    def run(*args: Any, **kwargs: Any) -> Any:
        session: Session = kwargs[name]
        try:
            result = endpoint(*args, **kwargs)
            finish(session)
        except BaseException:
            abandon(session)
            raise
        return result

    return run


class CommittingRoute(APIRoute):
    """A route whose request session is committed in the route's own thread (see the module)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, committing(endpoint), **kwargs)


def api_router(**kwargs: Any) -> APIRouter:
    """An ``APIRouter`` for a part of the API: its routes commit in their own thread."""
    return APIRouter(route_class=CommittingRoute, **kwargs)
