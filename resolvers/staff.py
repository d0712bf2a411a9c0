"""Staff assignments: who holds which room when, one room at a time, never deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

import models
from kernel.errors import BadUserInputError, ConflictError
from kernel.moments import aware, local
from models import Role
from resolvers import audit, news
from resolvers.context import Context
from resolvers.visibility import visible_in_event

# Event.staffAssignments(all: true) returns the most recent assignments up to this many.
STAFF_HISTORY_LIMIT = 500

A = models.RoomAssignment


def lock_member(db: Session, member_id: int) -> None:
    """Serialise every change to one member's assignments until this transaction ends.

    PostgreSQL locks the member row; SQLite has no row locks, so a no-op write there takes
    the database write lock before anything is read (its reads run outside the transaction).
    """
    if db.get_bind().dialect.name == "sqlite":
        M = models.Member
        db.execute(update(M).where(col(M.id) == member_id).values(company=col(M.company)))
    else:
        db.execute(select(models.Member.id).where(models.Member.id == member_id).with_for_update())


def _staff_member(ctx: Context, member_id: int) -> models.Member:
    member = visible_in_event(ctx, models.Member, member_id, "member")
    if member.role not in models.STAFF_ROLES:
        raise BadUserInputError(
            f"Only gestionnaires des salles and badge controllers hold rooms; this member is {Role(member.role).value}."
        )
    return member


def _room_of_event(ctx: Context, member: models.Member, room_id: int) -> models.Room:
    room = visible_in_event(ctx, models.Room, room_id, "room")
    if room.event_id != member.event_id:
        raise BadUserInputError(f"The room {room.name} belongs to another event than this member.")
    return room


def _check_span(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise BadUserInputError("A slot must end after it starts.")


def _refuse_overlap(
    ctx: Context,
    member: models.Member,
    starts_at: datetime,
    ends_at: datetime,
    *,
    ignore: int | None = None,
) -> None:
    """CONFLICT naming the member's first assignment that overlaps [starts_at, ends_at)."""
    stmt = (
        select(A)
        .where(
            A.member_id == member.id,
            col(A.cancelled).is_(False),
            col(A.starts_at) < ends_at,
            col(A.ends_at) > starts_at,
        )
        .order_by(col(A.starts_at))
        .limit(1)
        # Read what other transactions committed, not what this session saw before the lock.
        .execution_options(populate_existing=True)
    )
    if ignore is not None:
        stmt = stmt.where(col(A.id) != ignore)
    clash = ctx.db.exec(stmt).first()
    if clash is not None:
        room = ctx.db.get(models.Room, clash.room_id)
        name = room.name if room is not None else f"room {clash.room_id}"
        event = ctx.db.get(models.Event, member.event_id)
        zone = event.timezone if event is not None else "UTC"
        raise ConflictError(
            f"This member already holds {name} from {local(clash.starts_at, zone)} to "
            f"{local(clash.ends_at, zone)}: one room at a time."
        )


ASSIGNMENT_FIELDS = ("member_id", "room_id", "starts_at", "ends_at", "cancelled")


def _new_assignment(
    ctx: Context, member: models.Member, room: models.Room, starts_at: datetime, ends_at: datetime
) -> models.RoomAssignment:
    assert member.id is not None
    assert room.id is not None
    return A(
        event_id=member.event_id,
        member_id=member.id,
        room_id=room.id,
        role=Role(member.role),
        starts_at=starts_at,
        ends_at=ends_at,
        assigned_by_id=ctx.require_viewer().user_id,
        assigned_at=ctx.now,
    )


def assign_staff(
    ctx: Context, *, member_id: int, room_id: int, starts_at: datetime, ends_at: datetime
) -> models.RoomAssignment:
    """Give a staff member a room for an assignment that overlaps none of its other assignments."""
    starts_at, ends_at = aware(starts_at, "`startsAt`"), aware(ends_at, "`endsAt`")
    member = _staff_member(ctx, member_id)
    room = _room_of_event(ctx, member, room_id)
    _check_span(starts_at, ends_at)
    lock_member(ctx.db, member_id)
    _refuse_overlap(ctx, member, starts_at, ends_at)
    assignment = _new_assignment(ctx, member, room, starts_at, ends_at)
    ctx.db.add(assignment)
    audit.record(
        ctx,
        event_id=member.event_id,
        action="staff.assign",
        subject=("RoomAssignment", assignment),
        after=audit.snapshot(assignment, ASSIGNMENT_FIELDS),
    )
    ctx.commit()
    return assignment


def _end(ctx: Context, assignment: models.RoomAssignment, at: datetime) -> None:
    """End `assignment` at `at`; an assignment that has not begun by then is cancelled instead."""
    if at <= assignment.starts_at:
        assignment.cancelled = True
    else:
        assignment.ends_at = at
    assignment.ended_by_id = ctx.require_viewer().user_id
    assignment.ended_at = ctx.now


def reassign_staff(
    ctx: Context, *, member_id: int, room_id: int, at: datetime | None, until: datetime
) -> models.RoomAssignment:
    """End the assignment running at `at` (default now) there and start one in `room_id` until `until`."""
    at = ctx.now if at is None else aware(at, "`at`")
    until = aware(until, "`until`")
    member = _staff_member(ctx, member_id)
    room = _room_of_event(ctx, member, room_id)
    _check_span(at, until)
    # Everything below runs under the member's lock and commits once: a concurrent
    # reassignment waits, then sees this one's result.
    lock_member(ctx.db, member_id)
    running = ctx.db.exec(
        select(A)
        .where(
            A.member_id == member.id,
            col(A.cancelled).is_(False),
            col(A.starts_at) <= at,
            col(A.ends_at) > at,
        )
        .execution_options(populate_existing=True)
    ).first()
    _refuse_overlap(ctx, member, at, until, ignore=running.id if running else None)
    before = None
    if running is not None:
        before = audit.snapshot(running, ASSIGNMENT_FIELDS)
        _end(ctx, running, at)
    assignment = _new_assignment(ctx, member, room, at, until)
    ctx.db.add(assignment)
    # before: the assignment that ran (as it was); after: the one that replaces it.
    audit.record(
        ctx,
        event_id=member.event_id,
        action="staff.reassign",
        subject=("RoomAssignment", assignment),
        before=before,
        after=audit.snapshot(assignment, ASSIGNMENT_FIELDS),
    )
    news.publish(ctx.db, "member", member.id)
    ctx.commit()
    return assignment


def end_assignment(ctx: Context, *, assignment_id: int) -> models.RoomAssignment:
    """End a running assignment now, or cancel one not yet begun; an assignment already over is returned as is."""
    assignment = visible_in_event(ctx, A, assignment_id, "staff assignment")
    lock_member(ctx.db, assignment.member_id)
    ctx.db.refresh(assignment)
    if assignment.cancelled or assignment.ends_at <= ctx.now:
        return assignment
    before = audit.snapshot(assignment, ASSIGNMENT_FIELDS)
    _end(ctx, assignment, ctx.now)
    audit.record(
        ctx,
        event_id=assignment.event_id,
        action="staff.end",
        subject=("RoomAssignment", assignment),
        before=before,
        after=audit.snapshot(assignment, ASSIGNMENT_FIELDS),
    )
    news.publish(ctx.db, "member", assignment.member_id)
    ctx.commit()
    return assignment


def list_event_assignments(
    ctx: Context, event: models.Event, *, at: datetime | None, all_assignments: bool
) -> list[models.RoomAssignment]:
    """The assignments running at `at` (default now) by room, or, with `all_assignments` and no `at`, the
    most recent STAFF_HISTORY_LIMIT assignments, cancelled ones included (the history)."""
    stmt = select(A).where(A.event_id == event.id)
    if at is None and all_assignments:
        stmt = stmt.order_by(col(A.starts_at).desc(), col(A.id).desc()).limit(STAFF_HISTORY_LIMIT)
        return list(ctx.db.exec(stmt))
    moment = ctx.now if at is None else aware(at, "`at`")
    stmt = stmt.where(
        col(A.cancelled).is_(False), col(A.starts_at) <= moment, col(A.ends_at) > moment
    ).order_by(col(A.room_id), col(A.starts_at), col(A.id))
    return list(ctx.db.exec(stmt))
