"""Statistics: exposant visits, room scans, session attendance and the event's overview.

The totals come from counters the writes keep (models/tally.py): scans per room, quarter-hour,
verdict and reason; visits per exposant and quarter-hour; the distinct members let in at each
room and at the event, and the distinct participants each exposant scanned; a session's
admitted count. Reading them costs the same however long the scan log grows. A room's stats over a chosen period
(`from`, `to`) count that period of the log itself, since a period need not fall on
quarter-hours. Every figure is one statement, whatever the number of visits or scans.

Hour buckets ("byHour"): each bucket is the start of an hour in the event's IANA time zone.
Counters and the period's statement both count by UTC quarter-hour (epoch // 900), and Python
maps each quarter to the local hour it falls in with zoneinfo. Every UTC offset in use is a
multiple of 15 minutes (Asia/Kolkata +05:30, Asia/Kathmandu +05:45), so a UTC quarter never
straddles two local hours and the fold is exact, DST included (the two 02:00 hours of an
autumn change stay apart). A statement returns at most four rows per hour of the range.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
)
from sqlmodel import Session, col, select

import models
from kernel.errors import BadUserInputError
from models import DenyReason, PaymentStatus, ScanStatus, SessionKind
from models.tally import QUARTER_SECONDS
from resolvers.context import Context
from resolvers.pagination import Page, SortKey, paginate
from resolvers.tallies import quarter_of

CSV_BATCH = 1000


@dataclass(frozen=True)
class HourCount:
    hour: datetime
    count: int


@dataclass(frozen=True)
class TagCount:
    tag: str
    count: int


@dataclass(frozen=True)
class ExposantTotals:
    total: int
    today: int
    unique: int


@dataclass(frozen=True)
class RoomTotals:
    total: int
    granted: int
    denied: int
    unique_members: int


@dataclass(frozen=True)
class EventTotals:
    members: int
    checked_in: int
    total_scans: int
    denied: int


@dataclass(frozen=True)
class SessionAttendance:
    session: models.EventSession
    attendance: int
    capacity: int
    no_shows: int


def _count_by_hour(
    db: Session, scanned_at: Any, where: Sequence[ColumnElement[bool]], zone: ZoneInfo
) -> list[HourCount]:
    """Rows matching `where`, counted per local hour of `zone` (see the module docstring)."""
    quarter = quarter_of(db, scanned_at)
    rows = db.execute(select(quarter, func.count()).where(*where).group_by(quarter)).all()
    return _by_hour(rows, zone)


def _by_hour(quarters: Iterable[Any], zone: ZoneInfo) -> list[HourCount]:
    """(quarter index, count) rows folded into the local hours of `zone`."""
    return fold_quarters(
        ((datetime.fromtimestamp(int(q) * QUARTER_SECONDS, UTC), int(n)) for q, n in quarters),
        zone,
    )


def _quarter(at: datetime) -> int:
    return int(at.timestamp()) // QUARTER_SECONDS


def _sum(n: Any, *where: ColumnElement[bool]) -> Any:
    """The sum of the counter column `n` (over the rows matching `where`), 0 for none."""
    total = func.sum(n).filter(*where) if where else func.sum(n)
    return func.coalesce(total, 0)


def _pairs(column: Any, key: int | None) -> Any:
    """How many rows of a pair table have `key` in `column` (its distinct members)."""
    return select(func.count()).where(column == key).scalar_subquery()


def fold_quarters(quarters: Iterable[tuple[datetime, int]], zone: ZoneInfo) -> list[HourCount]:
    """Sum UTC quarter-hour counts into the local hours of `zone` they fall in."""
    hours: dict[datetime, int] = defaultdict(int)
    for start, n in quarters:
        local = start.astimezone(zone)
        # astimezone sets `fold`, so the repeated hour of a DST change keeps its own instant.
        hour_start = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        hours[hour_start] += n
    return [HourCount(hour=h.astimezone(zone), count=hours[h]) for h in sorted(hours)]


def check_period(since: datetime | None, until: datetime | None) -> None:
    if since is not None and until is not None and since > until:
        raise BadUserInputError("`from` must not be after `to`.")


# --- Exposant visits ---------------------------------------------------------------------


def _visits_of(exposant: models.Member) -> list[ColumnElement[bool]]:
    return [col(models.Visit.exposant_id) == exposant.id]


def exposant_totals(ctx: Context, exposant: models.Member, event: models.Event) -> ExposantTotals:
    """Total visits, visits since local midnight, distinct participants: one statement over
    the exposant's counters."""
    C = models.VisitCount
    midnight = event.midnight(ctx.clock.peek())
    tomorrow = event.midnight(midnight + timedelta(hours=36))
    ctx.clock.holds_until(tomorrow)  # "today" turns into yesterday at the next local midnight
    today = and_(col(C.quarter) >= _quarter(midnight), col(C.quarter) < _quarter(tomorrow))
    total, today_count, unique = ctx.db.execute(
        select(
            _sum(C.n),
            _sum(C.n, today),
            _pairs(col(models.ExposantVisitor.exposant_id), exposant.id),
        ).where(col(C.exposant_id) == exposant.id)
    ).one()
    return ExposantTotals(total=total, today=today_count, unique=unique)


def exposant_visits_by_hour(
    ctx: Context, exposant: models.Member, event: models.Event
) -> list[HourCount]:
    C = models.VisitCount
    rows = ctx.db.execute(select(C.quarter, C.n).where(col(C.exposant_id) == exposant.id)).all()
    return _by_hour(rows, event.zone)


# Tags are bounded per visit, not per exposant: the list shows the most used ones.
MAX_TAG_COUNTS = 100


def exposant_visits_by_tag(ctx: Context, exposant: models.Member) -> list[TagCount]:
    """Visits per tag, most used first (then by tag): one statement."""
    V, T = models.Visit, models.VisitTag
    n = func.count().label("n")
    rows = ctx.db.execute(
        select(T.tag, n)
        .join(V, col(V.id) == T.visit_id)
        .where(*_visits_of(exposant))
        .group_by(T.tag)
        .order_by(n.desc(), T.tag)
        .limit(MAX_TAG_COUNTS)
    ).all()
    return [TagCount(tag=tag, count=count) for tag, count in rows]


# Tags hold no control character (resolvers/visits.py), so this one separates them safely.
TAG_SEPARATOR = "\x1f"


def _joined_tags(db: Session) -> Any:
    """A visit's tags in one column, TAG_SEPARATOR between them, in no set order."""
    T = models.VisitTag
    if db.get_bind().dialect.name == "postgresql":
        joined = func.string_agg(T.tag, literal(TAG_SEPARATOR))
    else:
        joined = func.group_concat(T.tag, literal(TAG_SEPARATOR))
    return select(joined).where(col(T.visit_id) == models.Visit.id).scalar_subquery().label("tags")


def _tags_cell(joined: str | None) -> str:
    return "; ".join(sorted(joined.split(TAG_SEPARATOR))) if joined else ""


NEWEST_VISIT_FIRST = [
    SortKey(models.Visit.scanned_at, descending=True, is_datetime=True),
    SortKey(models.Visit.id, descending=True),
]


def list_visits(
    ctx: Context,
    exposant: models.Member,
    *,
    first: int | None,
    after: str | None,
    total: int | None = None,
) -> Page[models.Visit]:
    """The exposant's visits (leads), newest first; keyset pages stay stable as visits arrive."""
    stmt = select(models.Visit).where(*_visits_of(exposant))
    return paginate(
        ctx.db,
        stmt,
        keys=NEWEST_VISIT_FIRST,
        key_of=lambda v: [v.scanned_at, v.id],
        first=first,
        after=after,
        total=total,
    )


def visit_rows(db: Session, exposant: models.Member) -> Iterator[tuple[Any, ...]]:
    """Every visit with its participant, rating and tags, newest first, read in batches (for
    the CSV export)."""
    V, M, U = models.Visit, models.Member, models.User
    # SQLAlchemy's select: SQLModel's is typed for at most four columns.
    stmt = (
        sqlalchemy.select(
            col(V.scanned_at),
            # The event's name for the participant, not its account's.
            col(M.display_name),
            # A participant who does not share its contact stays a lead, without its email.
            case((col(M.shares_contact), U.email), else_=""),
            col(M.company),
            col(V.note),
            col(V.rating),
            _joined_tags(db),
        )
        .join(M, col(M.id) == V.participant_id)
        .join(U, col(U.id) == M.user_id)
        .where(*_visits_of(exposant))
        .order_by(col(V.scanned_at).desc(), col(V.id).desc())
        .execution_options(yield_per=CSV_BATCH)
    )
    for *cells, tags in db.execute(stmt):
        yield (*cells, _tags_cell(tags))


# --- Room scans --------------------------------------------------------------------------


def _scans_in_room(
    room: models.Room, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    A = models.RoomAccess
    where = [col(A.room_id) == room.id]
    if since is not None:
        where.append(col(A.scanned_at) >= since)
    if until is not None:
        where.append(col(A.scanned_at) < until)
    return where


def room_totals(
    ctx: Context, room: models.Room, *, since: datetime | None, until: datetime | None
) -> RoomTotals:
    """Scans, granted, denied and distinct members granted entry: one statement."""
    if since is None and until is None:
        C = models.ScanCount
        total, n_granted, n_denied, unique = ctx.db.execute(
            select(
                _sum(C.n),
                _sum(C.n, col(C.status) == ScanStatus.GRANTED),
                _sum(C.n, col(C.status) == ScanStatus.DENIED),
                _pairs(col(models.RoomEntrant.room_id), room.id),
            ).where(col(C.room_id) == room.id)
        ).one()
        return RoomTotals(total=total, granted=n_granted, denied=n_denied, unique_members=unique)
    A = models.RoomAccess
    granted = col(A.status) == ScanStatus.GRANTED
    total, n_granted, n_denied, unique = ctx.db.execute(
        select(
            func.count(),
            func.count().filter(granted),
            func.count().filter(col(A.status) == ScanStatus.DENIED),
            func.count(distinct(col(A.member_id))).filter(granted),
        ).where(*_scans_in_room(room, since, until))
    ).one()
    return RoomTotals(total=total, granted=n_granted, denied=n_denied, unique_members=unique)


def room_denials_by_reason(
    ctx: Context, room: models.Room, *, since: datetime | None, until: datetime | None
) -> list[tuple[DenyReason, int]]:
    """Denied scans per reason, most frequent first."""
    if since is None and until is None:
        C = models.ScanCount
        n: Any = func.sum(C.n).label("n")
        rows = ctx.db.execute(
            select(C.reason, n)
            .where(col(C.room_id) == room.id, col(C.status) == ScanStatus.DENIED)
            .group_by(col(C.reason))
            .order_by(n.desc(), col(C.reason))
        ).all()
    else:
        A = models.RoomAccess
        n = func.count().label("n")
        rows = ctx.db.execute(
            select(A.reason, n)
            .where(*_scans_in_room(room, since, until), col(A.status) == ScanStatus.DENIED)
            .group_by(col(A.reason))
            .order_by(n.desc(), col(A.reason))
        ).all()
    return [(DenyReason(reason), int(count)) for reason, count in rows]


def room_scans_by_hour(
    ctx: Context,
    room: models.Room,
    event: models.Event,
    *,
    since: datetime | None,
    until: datetime | None,
) -> list[HourCount]:
    if since is None and until is None:
        C = models.ScanCount
        rows = ctx.db.execute(
            select(C.quarter, func.sum(C.n))
            .where(col(C.room_id) == room.id)
            .group_by(col(C.quarter))
        ).all()
        return _by_hour(rows, event.zone)
    return _count_by_hour(
        ctx.db, models.RoomAccess.scanned_at, _scans_in_room(room, since, until), event.zone
    )


NEWEST_SCAN_FIRST = [
    SortKey(models.RoomAccess.scanned_at, descending=True, is_datetime=True),
    SortKey(models.RoomAccess.id, descending=True),
]


def list_room_scans(
    ctx: Context,
    room: models.Room,
    *,
    since: datetime | None,
    until: datetime | None,
    status: ScanStatus | None,
    first: int | None,
    after: str | None,
    total: int | None = None,
) -> Page[models.RoomAccess]:
    """The room's scan log, newest first, optionally only granted or denied scans."""
    stmt = select(models.RoomAccess).where(*_scans_in_room(room, since, until))
    if status is not None:
        stmt = stmt.where(col(models.RoomAccess.status) == status)
    return paginate(
        ctx.db,
        stmt,
        keys=NEWEST_SCAN_FIRST,
        key_of=lambda a: [a.scanned_at, a.id],
        first=first,
        after=after,
        total=total,
    )


# --- Sessions and rooms now --------------------------------------------------------------


def current_session(ctx: Context, room: models.Room) -> models.EventSession | None:
    """The session with starts_at <= now < ends_at in this room (sessions never overlap)."""
    assert room.id is not None
    sessions = ctx.loaders.sessions_by_room_id.load(room.id)
    now = _until_a_session_edge(ctx, sessions)
    return next((s for s in sessions if s.starts_at <= now < s.ends_at), None)


def next_session(ctx: Context, room: models.Room) -> models.EventSession | None:
    """The first session of this room that starts after now."""
    assert room.id is not None
    sessions = ctx.loaders.sessions_by_room_id.load(room.id)  # ordered by starts_at
    now = _until_a_session_edge(ctx, sessions)
    return next((s for s in sessions if s.starts_at > now), None)


def _until_a_session_edge(ctx: Context, sessions: list[models.EventSession]) -> datetime:
    """Now; which session runs or comes next in a room changes only when one starts or ends."""
    now = ctx.clock.peek()
    edges = (edge for s in sessions for edge in (s.starts_at, s.ends_at) if edge > now)
    ctx.clock.holds_until(min(edges, default=None))
    return now


# --- The event ---------------------------------------------------------------------------


def event_totals(ctx: Context, event: models.Event) -> EventTotals:
    """Members, members checked in (granted entry at least once), scans and denied scans: one
    statement over the members and the event's counters."""
    C, M = models.ScanCount, models.Member
    members = select(func.count()).where(col(M.event_id) == event.id).scalar_subquery()
    checked_in = _pairs(col(models.EventEntrant.event_id), event.id)
    n_members, n_checked_in, total, denied = ctx.db.execute(
        select(
            members,
            checked_in,
            _sum(C.n),
            _sum(C.n, col(C.status) == ScanStatus.DENIED),
        ).where(col(C.event_id) == event.id)
    ).one()
    return EventTotals(members=n_members, checked_in=n_checked_in, total_scans=total, denied=denied)


def event_scans_by_hour(ctx: Context, event: models.Event) -> list[HourCount]:
    C = models.ScanCount
    rows = ctx.db.execute(
        select(C.quarter, func.sum(C.n)).where(col(C.event_id) == event.id).group_by(col(C.quarter))
    ).all()
    return _by_hour(rows, event.zone)


def event_session_attendance(ctx: Context, event: models.Event) -> list[SessionAttendance]:
    """Every session of the programme with its attendance (the distinct members let in, kept
    by the writes as `session.admitted`), its room's capacity and, for paid ateliers, the
    members marked PAID never granted entry (none among the session's entrants): one
    statement."""
    E, S, R, SA = models.SessionEntrant, models.EventSession, models.Room, models.SessionAccess
    entered = exists().where(col(E.session_id) == SA.session_id, col(E.member_id) == SA.member_id)
    no_shows = (
        select(SA.session_id, func.count().label("n"))
        .join(S, col(S.id) == SA.session_id)
        .where(
            col(S.event_id) == event.id,
            col(S.kind) == SessionKind.ATELIER,
            col(S.is_paid),
            col(SA.payment_status) == PaymentStatus.PAID,
            ~entered,
        )
        .group_by(col(SA.session_id))
        .subquery()
    )
    rows = ctx.db.execute(
        select(
            S,
            R.capacity,
            S.admitted,
            func.coalesce(no_shows.c.n, 0),
        )
        .join(R, col(R.id) == S.room_id)
        .outerjoin(no_shows, no_shows.c.session_id == S.id)
        .where(col(S.event_id) == event.id)
        .order_by(col(S.starts_at), col(S.id))
    ).all()
    return [
        SessionAttendance(session=s, attendance=n, capacity=capacity, no_shows=absent)
        for s, capacity, n, absent in rows
    ]


def scan_log_rows(db: Session, event: models.Event) -> Iterator[tuple[Any, ...]]:
    """The event's whole scan log with the names the event shows, newest first, read in
    batches (CSV export)."""
    A, R, S, M, U = (
        models.RoomAccess,
        models.Room,
        models.EventSession,
        models.Member,
        models.User,
    )
    scanned = U.__table__.alias("scanned_user")  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
    controller = M.__table__.alias("controller")  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
    # SQLAlchemy's select: SQLModel's is typed for at most four columns.
    stmt = (
        sqlalchemy.select(
            col(A.scanned_at),
            col(A.client_scanned_at),
            col(R.name),
            col(S.title),
            col(M.display_name),
            scanned.c.email,
            col(A.status),
            col(A.reason),
            controller.c.display_name,
        )
        .join(R, col(R.id) == A.room_id)
        .outerjoin(S, col(S.id) == A.session_id)
        .outerjoin(M, col(M.id) == A.member_id)
        .outerjoin(scanned, scanned.c.id == M.user_id)
        .outerjoin(controller, controller.c.id == A.controller_id)
        .where(col(A.event_id) == event.id)
        .order_by(col(A.scanned_at).desc(), col(A.id).desc())
        .execution_options(yield_per=CSV_BATCH)
    )
    yield from db.execute(stmt)
