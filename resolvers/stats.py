"""Statistics: exposant visits, room scans, session attendance and the event's overview.

Every figure is computed by the database (COUNT, COUNT DISTINCT, GROUP BY); Python only folds
the hour buckets into the event's time zone. A stats request therefore runs a fixed number of
statements, whatever the number of visits or scans.

Hour buckets ("byHour"): each bucket is the start of an hour in the event's IANA time zone.
- PostgreSQL truncates in that zone itself: `date_trunc('hour', scanned_at, tz)` returns the
  instant the local hour began, so the two 02:00 hours of an autumn DST change stay apart.
- SQLite knows no time zones. It groups by UTC quarter-hour (epoch // 900) and Python maps each
  quarter to the local hour it falls in with zoneinfo. Every UTC offset in use is a multiple of
  15 minutes (Asia/Kolkata +05:30, Asia/Kathmandu +05:45), so a UTC quarter never straddles two
  local hours and the fold is exact, DST included. The statement returns at most four rows per
  hour of the range, however many scans there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy
from sqlalchemy import ColumnElement, Integer, and_, case, cast, distinct, exists, func, literal
from sqlmodel import Session, col, select

import models
from kernel.errors import BadUserInputError
from models import DenyReason, PaymentStatus, ScanStatus, SessionKind
from resolvers.context import Context
from resolvers.pagination import Page, SortKey, paginate

QUARTER_SECONDS = 900
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
    if db.get_bind().dialect.name == "postgresql":
        bucket: Any = func.date_trunc("hour", scanned_at, literal(zone.key))
        rows = db.execute(
            select(bucket, func.count()).where(*where).group_by(bucket).order_by(bucket)
        ).all()
        return [HourCount(hour=h.astimezone(zone), count=n) for h, n in rows]
    quarter = (cast(func.strftime("%s", scanned_at), Integer) // QUARTER_SECONDS) * QUARTER_SECONDS
    rows = db.execute(select(quarter, func.count()).where(*where).group_by(quarter)).all()
    return fold_quarters(((datetime.fromtimestamp(int(q), UTC), n) for q, n in rows), zone)


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
    """Total visits, visits since local midnight, distinct participants: one statement."""
    V = models.Visit
    midnight = event.midnight(ctx.clock.peek())
    tomorrow = event.midnight(midnight + timedelta(hours=36))
    ctx.clock.holds_until(tomorrow)  # "today" turns into yesterday at the next local midnight
    today = and_(col(V.scanned_at) >= midnight, col(V.scanned_at) < tomorrow)
    total, today_count, unique = ctx.db.execute(
        select(
            func.count(),
            func.count().filter(today),
            func.count(distinct(col(V.participant_id))),
        ).where(*_visits_of(exposant))
    ).one()
    return ExposantTotals(total=total, today=today_count, unique=unique)


def exposant_visits_by_hour(
    ctx: Context, exposant: models.Member, event: models.Event
) -> list[HourCount]:
    return _count_by_hour(ctx.db, models.Visit.scanned_at, _visits_of(exposant), event.zone)


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
            col(U.full_name),
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
    A = models.RoomAccess
    n = func.count().label("n")
    rows = ctx.db.execute(
        select(A.reason, n)
        .where(*_scans_in_room(room, since, until), col(A.status) == ScanStatus.DENIED)
        .group_by(col(A.reason))
        .order_by(n.desc(), col(A.reason))
    ).all()
    return [(DenyReason(reason), count) for reason, count in rows]


def room_scans_by_hour(
    ctx: Context,
    room: models.Room,
    event: models.Event,
    *,
    since: datetime | None,
    until: datetime | None,
) -> list[HourCount]:
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
    """Members, members granted entry at least once, scans and denied scans: one statement."""
    A, M = models.RoomAccess, models.Member
    members = (
        select(func.count()).select_from(M).where(col(M.event_id) == event.id).scalar_subquery()
    )
    n_members, checked_in, total, denied = ctx.db.execute(
        select(
            members,
            func.count(distinct(col(A.member_id))).filter(col(A.status) == ScanStatus.GRANTED),
            func.count(),
            func.count().filter(col(A.status) == ScanStatus.DENIED),
        ).where(col(A.event_id) == event.id)
    ).one()
    return EventTotals(members=n_members, checked_in=checked_in, total_scans=total, denied=denied)


def event_scans_by_hour(ctx: Context, event: models.Event) -> list[HourCount]:
    A = models.RoomAccess
    return _count_by_hour(ctx.db, A.scanned_at, [col(A.event_id) == event.id], event.zone)


def event_session_attendance(ctx: Context, event: models.Event) -> list[SessionAttendance]:
    """Every session of the programme with its attendance, its room's capacity and, for paid
    ateliers, the members marked PAID never granted entry: one statement."""
    A, S, R, SA = models.RoomAccess, models.EventSession, models.Room, models.SessionAccess
    # Filtering on the event's sessions (not room_access.event_id) keeps this an index-only
    # scan of (session_id, status, member_id).
    programme = select(S.id).where(col(S.event_id) == event.id)
    attendance = (
        select(A.session_id, func.count(distinct(col(A.member_id))).label("n"))
        .where(col(A.session_id).in_(programme), col(A.status) == ScanStatus.GRANTED)
        .group_by(col(A.session_id))
        .subquery()
    )
    entered = exists().where(
        col(A.session_id) == SA.session_id,
        col(A.member_id) == SA.member_id,
        col(A.status) == ScanStatus.GRANTED,
    )
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
            func.coalesce(attendance.c.n, 0),
            func.coalesce(no_shows.c.n, 0),
        )
        .join(R, col(R.id) == S.room_id)
        .outerjoin(attendance, attendance.c.session_id == S.id)
        .outerjoin(no_shows, no_shows.c.session_id == S.id)
        .where(col(S.event_id) == event.id)
        .order_by(col(S.starts_at), col(S.id))
    ).all()
    return [
        SessionAttendance(session=s, attendance=n, capacity=capacity, no_shows=absent)
        for s, capacity, n, absent in rows
    ]


def scan_log_rows(db: Session, event: models.Event) -> Iterator[tuple[Any, ...]]:
    """The event's whole scan log with names, newest first, read in batches (CSV export)."""
    A, R, S, M, U = (
        models.RoomAccess,
        models.Room,
        models.EventSession,
        models.Member,
        models.User,
    )
    scanned = U.__table__.alias("scanned_user")  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
    controller = M.__table__.alias("controller")  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
    controller_user = U.__table__.alias("controller_user")  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
    # SQLAlchemy's select: SQLModel's is typed for at most four columns.
    stmt = (
        sqlalchemy.select(
            col(A.scanned_at),
            col(A.client_scanned_at),
            col(R.name),
            col(S.title),
            scanned.c.full_name,
            scanned.c.email,
            col(A.status),
            col(A.reason),
            controller_user.c.full_name,
        )
        .join(R, col(R.id) == A.room_id)
        .outerjoin(S, col(S.id) == A.session_id)
        .outerjoin(M, col(M.id) == A.member_id)
        .outerjoin(scanned, scanned.c.id == M.user_id)
        .outerjoin(controller, controller.c.id == A.controller_id)
        .outerjoin(controller_user, controller_user.c.id == controller.c.user_id)
        .where(col(A.event_id) == event.id)
        .order_by(col(A.scanned_at).desc(), col(A.id).desc())
        .execution_options(yield_per=CSV_BATCH)
    )
    yield from db.execute(stmt)
