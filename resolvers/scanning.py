"""Door scans: the verdict at a room door, the scan log, idempotent retries and offline sync.

A scan costs a fixed handful of statements whatever the size of the event. On PostgreSQL the
verdict and its scan-log entry are one call of `agora_scan` (installed by the migration
7d3f1c2a9b40, its seat count since 5b2e9d7c1f03), which applies the rules below inside the
database, in the statement that also reads the room (its capacity, and that it is a room of
the event the permission check judged) and the member and session the answer names; it runs
without a transaction around it (`resolvers.transactions`). SQLite
runs them here: the badge and its member in one statement, the session in the room with its
count of members let in (`session.admitted`, kept by triggers on the scan log) in one, the
paid access in one (paid ateliers only), whether the member was let in before in one (only
when the room is full), then the insert. The suite runs every scan test on both; the rules
themselves are one table of cases, `tests/api/test_door_rules.py`, which both implementations
must answer alike (the function is kept for its speed: 4.3× the Python path's scans per second
on PostgreSQL, side by side).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy
from sqlalchemy import BigInteger, bindparam, func, literal_column, or_, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select

import models
from kernel.errors import (
    AgoraError,
    BadUserInputError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    StaleViewer,
)
from kernel.ids import decode, encode
from kernel.moments import aware, local
from models import DenyReason, PaymentStatus, ScanStatus
from resolvers import news
from resolvers.context import Context
from resolvers.plain import PlainSelect, attach, columns, width
from resolvers.viewer import UNVERSIONED_MEMBER_FIELDS, Viewer
from resolvers.visibility import event_of_room, known

# A device clock may run this far ahead of the server before its scans are refused as impossible.
CLOCK_SKEW_TOLERANCE = timedelta(minutes=5)
MAX_CLIENT_SCAN_ID = 100
# The scan log keeps the presented code; anything longer cannot be a badge and is cut.
MAX_LOGGED_CODE = 128
# The most a QR code holds (version 40, bytes): a longer code was never read off a badge.
MAX_PRESENTED_CODE = 2953

# (room, moment) -> may the viewer scan at this room's door at that moment (the field's @allow).
MayScan = Callable[[models.Room, datetime], bool]


@dataclass(frozen=True)
class ScanRequest:
    room_id: str
    code: str
    client_scan_id: str | None = None
    scanned_at: datetime | None = None


@dataclass(frozen=True)
class ScanOutcome:
    access: models.RoomAccess
    # True when this clientScanId was already recorded: `access` is the first scan's row.
    duplicate: bool
    # Rows read while judging (room, session, member, controller). The session's identity map
    # holds rows weakly: keeping them here lets the answer name them without reading them again.
    rows: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Rejection:
    """A synced scan that was not judged at all (nothing recorded), and why."""

    index: int
    client_scan_id: str | None
    code: str
    message: str


@dataclass(frozen=True)
class SyncOutcome:
    results: list[ScanOutcome]
    rejected: list[Rejection]

    @property
    def accepted(self) -> int:
        return sum(1 for r in self.results if not r.duplicate)

    @property
    def duplicates(self) -> int:
        return sum(1 for r in self.results if r.duplicate)


@dataclass(frozen=True)
class BadgeMatch:
    badge: models.Badge
    member: models.Member
    # Only a member's newest badge opens doors, and only until it is revoked.
    is_current: bool


def find_badge(ctx: Context, code: str) -> BadgeMatch | None:
    """The badge with this code, its member, and whether it is the member's valid one: one query."""
    newer = aliased(models.Badge)
    newest_id = (
        select(func.max(newer.id))
        .where(newer.member_id == models.Badge.member_id)
        .correlate(models.Badge)
        .scalar_subquery()
    )
    stmt = (
        select(models.Badge, models.Member, newest_id)
        .join(models.Member, col(models.Member.id) == col(models.Badge.member_id))
        .where(models.Badge.code == code)
    )
    row = ctx.db.exec(stmt).first()
    if row is None:
        return None
    badge, member, newest = row
    return BadgeMatch(
        badge=badge, member=member, is_current=badge.revoked_at is None and badge.id == newest
    )


def _session_at(
    ctx: Context, room: models.Room, at: datetime, *, lock: bool
) -> models.EventSession | None:
    """The session the door admits to at `at`: running, or starting within the entry window.

    Sessions never overlap in a room, but the window of the next one can overlap the end of the
    running one: the running one wins until it ends. With `lock`, the session row is locked
    (PostgreSQL) so that concurrent grants for it are counted one after the other.
    """
    S = models.EventSession
    window = timedelta(minutes=ctx.settings.entry_window_minutes)
    stmt = (
        select(S)
        .where(S.room_id == room.id, col(S.starts_at) <= at + window, col(S.ends_at) > at)
        .order_by(col(S.starts_at))
        .limit(1)
        # Read afresh even when the row is already loaded: its admitted count moves with
        # every grant (an offline sync judges many scans in one request).
        .execution_options(populate_existing=True)
    )
    if lock:
        # FOR NO KEY UPDATE: serializes scans of this session without blocking the foreign-key
        # checks of rows that merely reference it (questions, accesses).
        stmt = stmt.with_for_update(key_share=True)
    return ctx.db.exec(stmt).first()


def _has_paid_access(ctx: Context, session: models.EventSession, member: models.Member) -> bool:
    A = models.SessionAccess
    stmt = select(A.id).where(
        A.session_id == session.id,
        A.member_id == member.id,
        col(A.payment_status).in_([PaymentStatus.PAID, PaymentStatus.FREE]),
    )
    return ctx.db.exec(stmt).first() is not None


def _readmits(ctx: Context, session: models.EventSession, member: models.Member) -> bool:
    """Whether `member` was already let in to the session (a full room lets them back in)."""
    RA = models.RoomAccess
    stmt = select(RA.id).where(
        RA.session_id == session.id, RA.status == ScanStatus.GRANTED, RA.member_id == member.id
    )
    return ctx.db.exec(stmt.limit(1)).first() is not None


@dataclass(frozen=True)
class _Verdict:
    status: ScanStatus
    reason: DenyReason | None
    member: models.Member | None
    session: models.EventSession | None


def _judge(ctx: Context, room: models.Room, code: str, at: datetime) -> _Verdict:
    """The door's verdict on `code` at `at`; the first failing rule wins."""
    match = find_badge(ctx, code)
    same_event = match is not None and match.member.event_id == room.event_id
    valid = match is not None and match.is_current and same_event
    # Lock only when capacity may have to be counted: a valid badge of this event.
    session = _session_at(ctx, room, at, lock=valid)
    # A member of another event is not named in this event's scan log.
    member = match.member if match is not None and same_event else None

    def denied(reason: DenyReason) -> _Verdict:
        return _Verdict(ScanStatus.DENIED, reason, member, session)

    if match is None:
        return denied(DenyReason.UNKNOWN_BADGE)
    if not match.is_current:
        return denied(DenyReason.REVOKED_BADGE)
    if not same_event:
        return denied(DenyReason.WRONG_EVENT)
    assert member is not None
    if session is None:
        return denied(DenyReason.NO_SESSION)
    if session.requires_payment and not _has_paid_access(ctx, session, member):
        return denied(DenyReason.NOT_PAID)
    # session.admitted: distinct members let in so far (kept by the scan log's triggers).
    if session.admitted >= room.capacity and not _readmits(ctx, session, member):
        return denied(DenyReason.ROOM_FULL)
    return _Verdict(ScanStatus.GRANTED, None, member, session)


def _check_in(ctx: Context, member: models.Member, at: datetime) -> None:
    """The member's first granted scan at the event (offline scans may arrive late: keep the earliest)."""
    if member.checked_in_at is not None and member.checked_in_at <= at:
        return
    M = models.Member
    ctx.db.execute(
        update(M)
        .where(
            col(M.id) == member.id,
            or_(col(M.checked_in_at).is_(None), col(M.checked_in_at) > at),
        )
        .values(checked_in_at=at)
    )
    _checked_in(member, at)


def _checked_in(member: models.Member, at: datetime) -> None:
    """Keep a loaded member in step with the check-in a scan just wrote (no second write)."""
    if member.checked_in_at is None or member.checked_in_at > at:
        set_committed_value(member, "checked_in_at", at)


def _controller(viewer: Viewer, event_id: int) -> models.Member:
    member = viewer.member_in(event_id)
    if member is None:
        # The scan log names the member who scanned (RoomAccess.controller is non-null). The
        # @allow lets admins and the organizer scan, so this is not a refusal of the role
        # (FORBIDDEN) but a state to change first: hold a membership in the event.
        raise ConflictError(
            "Scan as a member of the event: the scan log records which member scanned, "
            "and you hold no membership in this event. Add yourself as a member first."
        )
    return member


def check_presented_code(code: str) -> None:
    """BAD_USER_INPUT for a code longer than any QR code holds."""
    if len(code) > MAX_PRESENTED_CODE:
        raise BadUserInputError(
            f"The badge code is too long ({len(code)} characters; at most {MAX_PRESENTED_CODE}, "
            "the most a QR code holds)."
        )


def _check(request: ScanRequest) -> None:
    check_presented_code(request.code)
    client_scan_id = request.client_scan_id
    if client_scan_id is not None and not 0 < len(client_scan_id) <= MAX_CLIENT_SCAN_ID:
        raise BadUserInputError(
            f"clientScanId must be 1 to {MAX_CLIENT_SCAN_ID} characters (a UUID is a good choice)."
        )
    if request.scanned_at is not None:
        aware(request.scanned_at, "scannedAt")


def _recorded(ctx: Context, viewer: Viewer, client_scan_id: str | None) -> models.RoomAccess | None:
    if client_scan_id is None:
        return None
    RA = models.RoomAccess
    stmt = select(RA).where(RA.scanned_by_id == viewer.user_id, RA.client_scan_id == client_scan_id)
    return ctx.db.exec(stmt).first()


def _record(
    ctx: Context,
    viewer: Viewer,
    room: models.Room,
    request: ScanRequest,
    at: datetime,
) -> ScanOutcome:
    """Judge the scan at `at` and add it to the scan log (flushed, not committed)."""
    controller = _controller(viewer, room.event_id)
    code = request.code.strip()
    verdict = _judge(ctx, room, code, at)
    assert room.id is not None
    access = models.RoomAccess(
        event_id=room.event_id,
        room_id=room.id,
        session_id=verdict.session.id if verdict.session is not None else None,
        member_id=verdict.member.id if verdict.member is not None else None,
        code=code[:MAX_LOGGED_CODE],
        controller_id=controller.id,
        scanned_by_id=viewer.user_id,
        status=verdict.status,
        reason=verdict.reason,
        scanned_at=ctx.now,
        client_scanned_at=request.scanned_at,
        client_scan_id=request.client_scan_id,
    )
    ctx.db.add(access)
    if verdict.status == ScanStatus.GRANTED and verdict.member is not None:
        _check_in(ctx, verdict.member, at)
    ctx.db.flush()
    news.publish(ctx.db, "room", room.id)
    rows = (room, controller, verdict.member, verdict.session)
    return ScanOutcome(access, duplicate=False, rows=tuple(r for r in rows if r is not None))


_SCAN_COLUMNS = [
    "duplicate",
    "id",
    "event_id",
    "room_id",
    "session_id",
    "member_id",
    "code",
    "controller_id",
    "scanned_by_id",
    "status",
    "reason",
    "scanned_at",
    "client_scanned_at",
    "client_scan_id",
]
_SCAN_PARAMETERS = [
    "code",
    "logged_code",
    "at",
    "window",
    "controller_id",
    "scanned_by_id",
    "now",
    "client_scanned_at",
    "client_scan_id",
]


def _scan_statement() -> PlainSelect:
    """The door: the room, `agora_scan`, and the member, user and session its answer names, in
    one statement.

    One row: whether a reused viewer still holds (always true for a viewer read by this
    request), whether the scan was a duplicate, the scan-log entry's columns, then the
    member's, the user's and the session's (all null when the scan names none), then the
    room's. Everything but the first is null when the viewer does not hold or the room is not
    in the event: nothing is judged or written then. Built once: composing
    it costs more than running it. The function runs once (a CTE that calls a volatile
    function is always materialized), and the rows joined to it are read as of the statement's
    start: the member's check-in the function just wrote is not among them
    (`_record_in_database` applies it)."""
    RA, M, U, S, R, VS = (
        models.RoomAccess,
        models.Member,
        models.User,
        models.EventSession,
        models.Room,
        models.ViewerStanding,
    )
    # A viewer reused from an earlier request (`standing_version` not null) must still hold:
    # its user exists and its standing has not moved since. Otherwise nothing is judged.
    version = bindparam("standing_version", type_=BigInteger)
    standing = (
        select(U.id)
        .outerjoin(VS, col(VS.user_id) == U.id)
        .where(
            col(U.id) == bindparam("scanned_by_id"),
            func.coalesce(VS.version, literal_column("0")) == version,
        )
    )
    holds = select(or_(version.is_(None), standing.exists()).label("holds")).cte("holds")
    door = (
        select(*columns(R))
        .where(
            col(R.id) == bindparam("room_id"),
            col(R.event_id) == bindparam("event_id"),
            select(holds.c.holds).scalar_subquery(),
        )
        .cte("door")
    )
    call = func.agora_scan(
        door.c.id,
        door.c.event_id,
        door.c.capacity,
        *(bindparam(name) for name in _SCAN_PARAMETERS),
    ).table_valued(*_SCAN_COLUMNS)
    # The function is called once per row of `door` (a function in FROM sees the items before
    # it): once, or not at all.
    # SQLAlchemy's select: SQLModel's takes columns and models, not a table-valued function.
    scan = sqlalchemy.select(call).select_from(door).cte("scan")
    # The scanning member's columns that its viewer's version does not cover, as they are now.
    controller = M.__table__.alias("controller")  # type: ignore[attr-defined]  # SQLModel leaves __table__ untyped
    return PlainSelect(
        select(
            holds.c.holds,
            scan.c.duplicate,
            *(scan.c[c.name] for c in columns(RA)),
            *columns(M),
            *columns(U),
            *columns(S),
            *(door.c[c.name] for c in columns(R)),
            *(controller.c[name] for name in UNVERSIONED_MEMBER_FIELDS),
        )
        .select_from(holds)
        .outerjoin(scan, true())
        .outerjoin(door, true())
        .outerjoin(M, col(M.id) == scan.c.member_id)
        .outerjoin(U, col(U.id) == M.user_id)
        .outerjoin(S, col(S.id) == scan.c.session_id)
        .outerjoin(controller, controller.c.id == bindparam("controller_id"))
    )


_SCAN = _scan_statement()
_ACCESS_END = 2 + width(models.RoomAccess)
_USER_AT = _ACCESS_END + width(models.Member)
_SESSION_AT = _USER_AT + width(models.User)
_ROOM_AT = _SESSION_AT + width(models.EventSession)
_CONTROLLER_AT = _ROOM_AT + width(models.Room)


def judged_in_database(ctx: Context) -> bool:
    return ctx.db.get_bind().dialect.name == "postgresql"


def _record_in_database(
    ctx: Context,
    viewer: Viewer,
    room_id: int,
    event_id: int,
    request: ScanRequest,
    at: datetime,
) -> ScanOutcome:
    """`_record_or_duplicate` in one round trip: `agora_scan` judges, logs and checks in, at the
    door of `room_id` if it is a room of `event_id` (NOT_FOUND otherwise)."""
    controller = _controller(viewer, event_id)
    code = request.code.strip()
    found = _SCAN.rows(
        ctx.db,
        room_id=room_id,
        event_id=event_id,
        code=code,
        logged_code=code[:MAX_LOGGED_CODE],
        at=at,
        window=timedelta(minutes=ctx.settings.entry_window_minutes),
        controller_id=controller.id,
        scanned_by_id=viewer.user_id,
        now=ctx.now,
        client_scanned_at=request.scanned_at,
        client_scan_id=request.client_scan_id,
        standing_version=viewer.standing_version if viewer.reused else None,
    )
    (row,) = found
    if not row[0]:
        raise StaleViewer(viewer.user_id)
    ctx.standing_checked = True
    if row[1] is None:
        # Deleted since the permission check found it (the door wrote nothing).
        raise NotFoundError(f"No room has the id {encode('Room', room_id)!r}.")
    # agora_scan sends the room's news itself (pg_notify) when it records a scan.
    duplicate = bool(row[1])
    access = attach(ctx.db, models.RoomAccess, row[2:_ACCESS_END])
    assert access is not None
    member = attach(ctx.db, models.Member, row[_ACCESS_END:_USER_AT])
    user = attach(ctx.db, models.User, row[_USER_AT:_SESSION_AT])
    session = attach(ctx.db, models.EventSession, row[_SESSION_AT:_ROOM_AT])
    room = attach(ctx.db, models.Room, row[_ROOM_AT:_CONTROLLER_AT])
    if viewer.reused:
        # An earlier request's row: what its version does not cover, as the door read it now.
        for name, value in zip(UNVERSIONED_MEMBER_FIELDS, row[_CONTROLLER_AT:], strict=True):
            set_committed_value(controller, name, value)
    if member is not None and not duplicate and access.status == ScanStatus.GRANTED:
        _checked_in(member, at)
    named = (room, member, user, session)
    rows = (controller, *(r for r in named if r is not None))
    return ScanOutcome(access, duplicate=duplicate, rows=rows)


def _record_or_duplicate(
    ctx: Context, viewer: Viewer, room: models.Room, request: ScanRequest, at: datetime
) -> ScanOutcome:
    """Record the scan; when a concurrent retry won the race for its clientScanId, that row."""
    try:
        return _record(ctx, viewer, room, request, at)
    except IntegrityError:
        ctx.db.rollback()
        first = _recorded(ctx, viewer, request.client_scan_id)
        if first is None:
            raise
        return ScanOutcome(first, duplicate=True)


def _prime(ctx: Context, outcomes: Sequence[ScanOutcome]) -> None:
    loaders = ctx.loaders
    for outcome in outcomes:
        for row in outcome.rows:
            if isinstance(row, models.Room):
                loaders.room_by_id.prime(row.id or 0, row)
            elif isinstance(row, models.EventSession):
                loaders.session_by_id.prime(row.id or 0, row)
            elif isinstance(row, models.Member):
                loaders.member_by_id.prime(row.id or 0, row)
            elif isinstance(row, models.User):
                loaders.user_by_id.prime(row.id or 0, row)


def _visible_room(ctx: Context, room_gid: str) -> models.Room:
    # Through the loader: the permission check has usually loaded this room already.
    room = ctx.loaders.room_by_id.load(decode("Room", room_gid))
    event_id = room.event_id if room is not None else None
    return known(ctx, room, event_id, f"No room has the id {room_gid!r}.")


def _room_zone(ctx: Context, room_gid: str) -> str:
    """The time zone of a room's event for a message; UTC for a room the viewer cannot see."""
    try:
        room = _visible_room(ctx, room_gid)
    except AgoraError:
        return "UTC"
    event = ctx.loaders.event_by_id.load(room.event_id)
    return event.timezone if event is not None else "UTC"


def scan_badge(ctx: Context, *, request: ScanRequest) -> ScanOutcome:
    """A badge presented at a room door now: judged, logged, and answered."""
    viewer = ctx.require_viewer()
    _check(request)
    if judged_in_database(ctx):
        # The room is read with the door; its event is known already (the permission check).
        room_id = decode("Room", request.room_id)
        event_id = event_of_room(ctx, room_id)
        outcome = _record_in_database(ctx, viewer, room_id, event_id, request, ctx.now)
    else:
        room = _visible_room(ctx, request.room_id)
        first = _recorded(ctx, viewer, request.client_scan_id)
        if first is not None:
            return ScanOutcome(first, duplicate=True)
        outcome = _record_or_duplicate(ctx, viewer, room, request, ctx.now)
    if not outcome.duplicate:
        ctx.commit()
        # The answer names the room, session and member just read: no second read for them.
        _prime(ctx, [outcome])
    return outcome


def _sync_one(ctx: Context, viewer: Viewer, request: ScanRequest, may_scan: MayScan) -> ScanOutcome:
    _check(request)
    first = _recorded(ctx, viewer, request.client_scan_id)
    if first is not None:
        return ScanOutcome(first, duplicate=True)
    seen_at = request.scanned_at or ctx.now
    if seen_at > ctx.now + CLOCK_SKEW_TOLERANCE:
        zone = _room_zone(ctx, request.room_id)
        raise BadUserInputError(
            f"scannedAt {local(seen_at, zone)} is in the future by the server's clock "
            f"({local(ctx.now, zone)}): set the device's clock and send it again."
        )
    # A device slightly ahead is judged as of now.
    at = min(seen_at, ctx.now)
    room = _visible_room(ctx, request.room_id)
    if not may_scan(room, at):
        event = ctx.db.get(models.Event, room.event_id)
        when = local(at, event.timezone if event is not None else "UTC")
        raise ForbiddenError(
            f"You were not allowed to scan at {room.name} at {when}: "
            "only its assigned controller (or an organizer) may scan there."
        )
    if judged_in_database(ctx):
        assert room.id is not None
        outcome = _record_in_database(ctx, viewer, room.id, room.event_id, request, at)
    else:
        outcome = _record_or_duplicate(ctx, viewer, room, request, at)
    # Each scan is its own fact: committed alone, so a later bad item loses nothing and
    # the session lock is held for one scan only, not for the whole batch. The session's
    # commit, not the context's: the rooms, sessions and viewer read so far stay true (a scan
    # changes none of them), so the batch's next scans reuse them.
    ctx.db.commit()
    return outcome


def sync_scans(ctx: Context, *, requests: Sequence[ScanRequest], may_scan: MayScan) -> SyncOutcome:
    """Scans recorded offline, uploaded in order; each judged as of its own scannedAt."""
    viewer = ctx.require_viewer()
    limit = ctx.settings.max_sync_batch
    if len(requests) > limit:
        raise BadUserInputError(
            f"A sync carries at most {limit} scans; split these {len(requests)} into several calls."
        )
    results: list[ScanOutcome] = []
    rejected: list[Rejection] = []
    for index, request in enumerate(requests):
        try:
            results.append(_sync_one(ctx, viewer, request, may_scan))
        except AgoraError as exc:
            rejected.append(Rejection(index, request.client_scan_id, exc.code, exc.message))
    _prime(ctx, results)
    return SyncOutcome(results=results, rejected=rejected)
