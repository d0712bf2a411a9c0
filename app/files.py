"""Plain HTTP routes beside GraphQL: downloads of stored files and the programme's iCalendar feed.

A download needs an access token as `Authorization: Bearer <token>`; the feed, for calendar
apps that cannot send headers, takes its own feed token in `?token=` (`Event.icalUrl`), and an
access token in an address is refused everywhere (`app.main`). No token or a bad one: 401. Unknown ids, replaced files, and
objects of events the viewer does not belong to: 404.

Both are sent as attachments in a sandbox: an uploaded PDF may carry scripts (`/OpenAction
/JavaScript`) that a browser's viewer would run on this origin if it showed the file inline.
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

# Whatever a browser makes of a download, it runs nothing of it with this origin's rights.
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "sandbox; default-src 'none'",
    "Cache-Control": "private",
}


def routes(settings: Settings, sessions: sessionmaker[Session]) -> list[Route]:
    def download(ctx: AgoraContext, request: Request) -> Response:
        stored, path = files.downloadable(
            ctx, file_id=decode("File", request.path_params["file_id"])
        )
        authorize(ctx.require_viewer(), FILE_DOWNLOAD, subjects.file_subject(stored), ctx.now)
        # Starlette writes the name as RFC 6266 asks: quoted when plain ASCII, else filename*.
        return FileResponse(
            path,
            media_type=stored.content_type,
            filename=stored.filename,
            content_disposition_type="attachment",
            headers=DOWNLOAD_HEADERS,
        )

    def programme_ics(ctx: AgoraContext, request: Request) -> Response:
        event = lookup.get_event(ctx, event_id=decode("Event", request.path_params["event_id"]))
        authorize(ctx.require_viewer(), PROGRAMME_ICS, subjects.event_subject(event), ctx.now)
        return Response(
            calendar.programme_ics(ctx, event),
            media_type="text/calendar; charset=utf-8",
            headers={
                **DOWNLOAD_HEADERS,
                "Content-Disposition": 'attachment; filename="programme.ics"',
            },
        )

    return [
        route(FILE_DOWNLOAD, settings, sessions, download),
        # Calendar apps cannot send headers: the feed's address may carry the token.
        route(PROGRAMME_ICS, settings, sessions, programme_ics, token_in_query=True),
    ]
