"""CSV exports: an exposant's leads and an event's scan log, streamed in batches.

The routes take the same Bearer token as /graphql and apply the same policy rules as the
GraphQL fields that hand out their URLs (ExposantStats.csvUrl, EventStats.scansCsvUrl).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from app.context import AgoraContext
from app.routes import route
from kernel.ids import decode
from kernel.settings import Settings
from permissions import subjects
from permissions.routes import SCANS_CSV, VISITS_CSV, authorize
from resolvers import lookup
from resolvers import stats as stats_resolvers

# A cell starting with one of these is a formula to a spreadsheet: quote it so it stays text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

VISIT_HEADER = ["scanned_at", "full_name", "email", "company", "note", "rating", "tags"]
SCAN_HEADER = [
    "scanned_at",
    "client_scanned_at",
    "room",
    "session",
    "member",
    "member_email",
    "status",
    "reason",
    "controller",
]


def safe_cell(value: Any, zone: ZoneInfo) -> str:
    """The text of one cell: times in the event's zone, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(zone).isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]], zone: ZoneInfo) -> Iterator[bytes]:
    """UTF-8 CSV, header first, one chunk per batch of rows so memory stays flat.

    It starts with a byte-order mark: without it, a spreadsheet on Windows reads the file
    in the local code page and shows "Ã©" for every "é" in names and companies.
    """
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(header)
    for n, row in enumerate(rows, start=1):
        writer.writerow([safe_cell(v, zone) for v in row])
        if n % stats_resolvers.CSV_BATCH == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _csv_response(lines: Iterator[bytes], filename: str) -> StreamingResponse:
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            # Leads and scan logs hold personal data: never kept by shared caches.
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def export_routes(settings: Settings, sessions: sessionmaker[Session]) -> list[Route]:
    def exposant_visits(ctx: AgoraContext, request: Request) -> Response:
        member_id = decode("Member", request.path_params["member_id"])
        member = lookup.get_member(ctx, member_id=member_id)
        authorize(ctx.require_viewer(), VISITS_CSV, subjects.member_subject(member), ctx.now)
        event = lookup.get_event(ctx, event_id=member.event_id)
        zone = event.zone
        rows = stats_resolvers.visit_rows(ctx.db, member)
        return _csv_response(csv_lines(VISIT_HEADER, rows, zone), f"visits-{member_id}.csv")

    def event_scans(ctx: AgoraContext, request: Request) -> Response:
        event = lookup.get_event(ctx, event_id=decode("Event", request.path_params["event_id"]))
        authorize(ctx.require_viewer(), SCANS_CSV, subjects.event_subject(event), ctx.now)
        zone = event.zone
        rows = stats_resolvers.scan_log_rows(ctx.db, event)
        return _csv_response(csv_lines(SCAN_HEADER, rows, zone), f"scans-{event.id}.csv")

    return [
        route(VISITS_CSV, settings, sessions, exposant_visits),
        route(SCANS_CSV, settings, sessions, event_scans),
    ]
