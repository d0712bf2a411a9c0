"""Plain HTTP routes beside GraphQL: downloads of stored files and the programme's iCalendar feed.

Both need an access token, as `Authorization: Bearer <token>` or, for calendar apps that cannot
send headers, as `?token=<token>`. No token or a bad one: 401. Unknown ids, and objects of
events the viewer does not belong to: 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

import models
from app.context import AgoraContext
from app.errors import agora_error_response
from app.graphql import bearer_token
from kernel.errors import AgoraError
from kernel.ids import decode
from kernel.moments import Clock
from kernel.settings import Settings
from permissions import subjects
from permissions.routes import FILE_DOWNLOAD, PROGRAMME_ICS, authorize
from resolvers import calendar, files, lookup

T = TypeVar("T")


def _run(
    request: Request,
    settings: Settings,
    sessions: sessionmaker[Session],
    use_case: Callable[[AgoraContext], Response],
    *,
    token_in_query: bool = False,
) -> Response:
    token = bearer_token(request.headers)
    if token is None and token_in_query:
        token = request.query_params.get("token") or None
    with sessions() as db:
        ctx = AgoraContext(db=db, settings=settings, clock=Clock(models.utcnow()), token=token)
        try:
            ctx.require_viewer()
            return use_case(ctx)
        except AgoraError as exc:
            return agora_error_response(exc, legacy=True)


def routes(settings: Settings, sessions: sessionmaker[Session]) -> list[Route]:
    # Sync endpoints: Starlette runs them in its thread pool, beside the sync database driver.
    def download(request: Request) -> Response:
        def use_case(ctx: AgoraContext) -> Response:
            stored, path = files.downloadable(
                ctx, file_id=decode("File", request.path_params["file_id"])
            )
            authorize(ctx.require_viewer(), FILE_DOWNLOAD, subjects.file_subject(stored), ctx.now)
            return FileResponse(
                path,
                media_type=stored.content_type,
                filename=stored.filename,
                content_disposition_type="inline",
                headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private"},
            )

        return _run(request, settings, sessions, use_case)

    def programme_ics(request: Request) -> Response:
        def use_case(ctx: AgoraContext) -> Response:
            event = lookup.get_event(ctx, event_id=decode("Event", request.path_params["event_id"]))
            authorize(ctx.require_viewer(), PROGRAMME_ICS, subjects.event_subject(event), ctx.now)
            body = calendar.programme_ics(ctx, event)
            return Response(
                body,
                media_type="text/calendar; charset=utf-8",
                headers={"Content-Disposition": 'inline; filename="programme.ics"'},
            )

        return _run(request, settings, sessions, use_case, token_in_query=True)

    return [
        Route(FILE_DOWNLOAD.path, download, methods=[FILE_DOWNLOAD.method]),
        Route(PROGRAMME_ICS.path, programme_ics, methods=[PROGRAMME_ICS.method]),
    ]
