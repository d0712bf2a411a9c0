"""Who is asking: the user, and everything the policy needs about them, loaded once per request.

The token carries identity only. Roles, presidencies, staff assignments and paid accesses are
read from the database the first time a check needs them and kept for the rest of the request,
so a change (a reassignment, a revoked role) applies from the next request on and no check
costs a query per field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import sqlalchemy
from sqlalchemy import and_, bindparam, exists, func, literal_column, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

import models
from kernel.moments import Clock
from models import Role
from resolvers.id_sets import among
from resolvers.loaders import BatchLoader
from resolvers.plain import PlainSelect, attach, columns, width


@dataclass
class Viewer:
    user: models.User
    db: Session
    # Exposant member id -> which members that exposant has scanned.
    _scanned: dict[int, BatchLoader[int, bool]] = field(default_factory=dict)
    # (rules, event id) -> what those rules leave to decide per object (permissions.policy.plan).
    plans: dict[Any, tuple[bool, tuple[Any, ...]]] = field(default_factory=dict)
    # The user's `viewer_standing.version` when this standing was read.
    standing_version: int = 0
    # Read by an earlier request (`KeptViewers`): a write that depends on it checks, in its own
    # statement, that `standing_version` still holds (the door does; see `StaleViewer`).
    reused: bool = False

    @property
    def user_id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin

    @classmethod
    def load(cls, db: Session, user_id: int, kept: KeptViewers | None = None) -> Viewer | None:
        """The user, their standing (memberships, presidencies) and their staff assignments in one
        statement; None when no such user exists. Every authenticated request starts here.
        With `kept`, the rows an earlier request of this process read, if any (the viewer is
        then `reused`), and the rows read now are kept for the next."""
        rows = kept.get(user_id) if kept is not None else None
        reused = rows is not None
        if rows is None:
            rows = _LOAD_VIEWER.rows(db, user_id=user_id)
            if not rows:
                return None
            if kept is not None:
                kept.put(user_id, rows)
        U, M, A = models.User, models.Member, models.RoomAssignment
        user = attach(db, U, rows[0][:_USER_END])
        assert user is not None
        viewer = cls(user=user, db=db, standing_version=rows[0][-1], reused=reused)
        standing: list[tuple[int | None, int | None, models.Member | None]] = []
        assignments: dict[int, models.RoomAssignment] = {}
        for row in rows:
            member = attach(db, M, row[_MEMBER_AT:_ASSIGNMENT_AT])
            standing.append((row[_USER_END], row[_USER_END + 1], member))
            assignment = attach(db, A, row[_ASSIGNMENT_AT:-1])
            if assignment is not None:
                assignments[assignment.id or 0] = assignment
        viewer.__dict__["_standing"] = _standing_of(user_id, standing)
        viewer.__dict__["assignments"] = list(assignments.values())
        return viewer

    @cached_property
    def _standing(self) -> tuple[dict[int, models.Member], frozenset[int]]:
        """Memberships per event id and presided event ids (after `forget`, or for a viewer
        made from a login), read together: every event the viewer presides or belongs to."""
        E, M = models.Event, models.Member
        stmt = (
            select(E.id, E.president_id, M)
            .outerjoin(M, and_(col(M.event_id) == E.id, col(M.user_id) == self.user_id))
            .where(or_(col(E.president_id) == self.user_id, col(M.id).is_not(None)))
        )
        return _standing_of(self.user_id, self.db.exec(stmt).all())

    @property
    def memberships(self) -> dict[int, models.Member]:
        """The viewer's membership per event id."""
        return self._standing[0]

    @property
    def presided(self) -> frozenset[int]:
        return self._standing[1]

    @cached_property
    def assignments(self) -> list[models.RoomAssignment]:
        member_ids = [m.id for m in self.memberships.values()]
        if not member_ids:
            return []
        stmt = select(models.RoomAssignment).where(
            col(models.RoomAssignment.member_id).in_(member_ids)
        )
        return list(self.db.exec(stmt))

    @cached_property
    def session_accesses(self) -> dict[int, models.SessionAccess]:
        member_ids = [m.id for m in self.memberships.values()]
        if not member_ids:
            return {}
        stmt = select(models.SessionAccess).where(
            col(models.SessionAccess.member_id).in_(member_ids)
        )
        return {a.session_id: a for a in self.db.exec(stmt)}

    def forget(self) -> None:
        """Drop what was loaded: after a mutation that changed the viewer's own standing."""
        for name in ("_standing", "assignments", "session_accesses"):
            self.__dict__.pop(name, None)
        self._scanned.clear()
        self.plans.clear()

    def member_in(self, event_id: int | None) -> models.Member | None:
        return None if event_id is None else self.memberships.get(event_id)

    def role_in(self, event_id: int | None) -> Role | None:
        member = self.member_in(event_id)
        return None if member is None else Role(member.role)

    def presides(self, event_id: int | None) -> bool:
        return event_id is not None and event_id in self.presided

    def belongs_to(self, event_id: int) -> bool:
        """May see the event at all: admin, president or member."""
        return self.is_admin or self.presides(event_id) or event_id in self.memberships

    def is_assigned_to(self, room_id: int, at: datetime | Clock) -> bool:
        if isinstance(at, datetime):
            return any(a.room_id == room_id and a.covers(at) for a in self.assignments)
        # As of the request: the answer holds until one of the viewer's assignments starts or ends.
        now = at.peek()
        at.holds_until(
            min(
                (
                    edge
                    for a in self.assignments
                    if not a.cancelled
                    for edge in (a.starts_at, a.ends_at)
                    if edge > now
                ),
                default=None,
            )
        )
        return any(a.room_id == room_id and a.covers(now) for a in self.assignments)

    def may_attend(self, session: models.EventSession) -> bool:
        if not session.requires_payment:
            return self.member_in(session.event_id) is not None
        access = self.session_accesses.get(session.id or 0)
        return access is not None and access.has_access

    def has_scanned(self, event_id: int, member_id: int) -> bool:
        exposant = self.member_in(event_id)
        if exposant is None or exposant.role != Role.EXPOSANT or exposant.id is None:
            return False
        loader = self._scanned.get(exposant.id)
        if loader is None:
            # Asked of the members the request has loaded (the rows at hand, say a page of
            # visits) in one lookup, never of the exposant's whole list of leads.
            loader = self._scanned[exposant.id] = BatchLoader(
                self.db, _scanned_by(exposant.id), bool, [(models.Member, lambda m: m.id)]
            )
        return loader.load(member_id)


def _scanned_by(exposant_id: int) -> Callable[[Session, list[int]], dict[int, bool]]:
    def fetch(db: Session, member_ids: list[int]) -> dict[int, bool]:
        V, M = models.Visit, models.Member
        # A participant who stopped sharing its contact is no longer "scanned" for its email.
        stmt = (
            select(V.participant_id)
            .join(M, col(M.id) == V.participant_id)
            .where(
                V.exposant_id == exposant_id,
                among(col(V.participant_id), member_ids),
                col(M.shares_contact),
            )
            .distinct()
        )
        return dict.fromkeys(db.exec(stmt), True)

    return fetch


def _load_viewer_statement() -> PlainSelect:
    # Built once: composing it (the aliased member, the joins) costs more than running it.
    # A row: the user's columns, the event's id and president, the membership's, the assignment's.
    # The standing's version comes last, read in the same snapshot.
    U, E, M, A = models.User, models.Event, models.Member, models.RoomAssignment
    VS = models.ViewerStanding
    other = aliased(M)
    belongs = exists().where(col(other.event_id) == E.id, col(other.user_id) == U.id)
    # SQLAlchemy's select: SQLModel's is typed for at most four columns.
    statement = (
        sqlalchemy.select(
            *columns(U),
            col(E.id),
            col(E.president_id),
            *columns(M),
            *columns(A),
            func.coalesce(VS.version, literal_column("0")),
        )
        .select_from(U)
        .outerjoin(E, or_(col(E.president_id) == U.id, belongs))
        .outerjoin(M, and_(col(M.event_id) == E.id, col(M.user_id) == U.id))
        .outerjoin(A, col(A.member_id) == M.id)
        .outerjoin(VS, col(VS.user_id) == U.id)
        .where(col(U.id) == bindparam("user_id"))
    )
    return PlainSelect(statement)


class KeptViewers:
    """The viewer rows earlier requests of this server process read, by user id: an operation
    whose one write checks the standing's version (the door) may reuse them instead of reading
    the viewer again. Plain tuples, shared by the threads; each request attaches its own
    objects. At most `size` users; past that, it starts afresh."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._rows: dict[int, list[tuple[Any, ...]]] = {}

    def get(self, user_id: int) -> list[tuple[Any, ...]] | None:
        return self._rows.get(user_id)

    def put(self, user_id: int, rows: list[tuple[Any, ...]]) -> None:
        if len(self._rows) >= self.size:
            self._rows = {}
        self._rows[user_id] = rows

    def drop(self, user_id: int) -> None:
        self._rows.pop(user_id, None)


_LOAD_VIEWER = _load_viewer_statement()
# A member's columns that do not move `viewer_standing.version` (migration 9c5e1d7a3b20): a
# reused viewer's membership may hold older values of these (the door reads them afresh).
UNVERSIONED_MEMBER_FIELDS = (
    "display_name",
    "company",
    "checked_in_at",
    "shares_contact",
    "created_at",
)
_USER_END = width(models.User)
_MEMBER_AT = _USER_END + 2
_ASSIGNMENT_AT = _MEMBER_AT + width(models.Member)


def _standing_of(
    user_id: int, rows: Sequence[tuple[int | None, int | None, models.Member | None]]
) -> tuple[dict[int, models.Member], frozenset[int]]:
    memberships: dict[int, models.Member] = {}
    presided: set[int] = set()
    for event_id, president_id, member in rows:
        if event_id is None:
            continue
        if member is not None:
            memberships[event_id] = member
        if president_id == user_id:
            presided.add(event_id)
    return memberships, frozenset(presided)
