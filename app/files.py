"""Plain HTTP routes beside GraphQL: downloads of stored files and the programme's iCalendar feed.

Both need an access token, as `Authorization: Bearer <token>` or, for calendar apps that cannot
send headers, as `?token=<token>`. No token or a bad one: 401. Unknown ids, and objects of
events the viewer does not belong to: 404.
"""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from app.context import AgoraContext
from app.routes import route
from kernel.ids import decode
from kernel.settings import Settings
from permissions import subjects
from permissions.routes import FILE_DOWNLOAD, PROGRAMME_ICS, authorize
from resolvers import calendar, files, lookup


def routes(settings: Settings, sessions: sessionmaker[Session]) -> list[Route]:
    def download(ctx: AgoraContext, request: Request) -> Response:
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

    def programme_ics(ctx: AgoraContext, request: Request) -> Response:
        event = lookup.get_event(ctx, event_id=decode("Event", request.path_params["event_id"]))
        authorize(ctx.require_viewer(), PROGRAMME_ICS, subjects.event_subject(event), ctx.now)
        return Response(
            calendar.programme_ics(ctx, event),
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": 'inline; filename="programme.ics"'},
        )

    return [
        route(FILE_DOWNLOAD, settings, sessions, download),
        # Calendar apps cannot send headers: the feed's address may carry the token.
        route(PROGRAMME_ICS, settings, sessions, programme_ics, token_in_query=True),
    ]
