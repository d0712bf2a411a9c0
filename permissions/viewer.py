"""Who is asking: the user, and everything the policy needs about them, loaded once per request.

The token carries identity only. Roles, presidencies, staff assignments and paid accesses are
read from the database the first time a check needs them and kept for the rest of the request,
so a change (a reassignment, a revoked role) applies from the next request on and no check
costs a query per field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlmodel import Session, select

import models
from models import Role


@dataclass
class Viewer:
    user: models.User
    db: Session
    _scanned: dict[int, frozenset[int]] = field(default_factory=dict)

    @property
    def user_id(self) -> int:
        assert self.user.id is not None
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin

    @cached_property
    def memberships(self) -> dict[int, models.Member]:
        """The viewer's membership per event id."""
        rows = self.db.exec(select(models.Member).where(models.Member.user_id == self.user_id))
        return {m.event_id: m for m in rows}

    @cached_property
    def presided(self) -> frozenset[int]:
        rows = self.db.exec(
            select(models.Event.id).where(models.Event.president_id == self.user_id)
        )
        return frozenset(i for i in rows if i is not None)

    @cached_property
    def assignments(self) -> list[models.RoomAssignment]:
        member_ids = [m.id for m in self.memberships.values()]
        if not member_ids:
            return []
        stmt = select(models.RoomAssignment).where(models.RoomAssignment.member_id.in_(member_ids))  # type: ignore[attr-defined]
        return list(self.db.exec(stmt))

    @cached_property
    def session_accesses(self) -> dict[int, models.SessionAccess]:
        member_ids = [m.id for m in self.memberships.values()]
        if not member_ids:
            return {}
        stmt = select(models.SessionAccess).where(models.SessionAccess.member_id.in_(member_ids))  # type: ignore[attr-defined]
        return {a.session_id: a for a in self.db.exec(stmt)}

    def forget(self) -> None:
        """Drop what was loaded: after a mutation that changed the viewer's own standing."""
        for name in ("memberships", "presided", "assignments", "session_accesses"):
            self.__dict__.pop(name, None)
        self._scanned.clear()

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

    def is_assigned_to(self, room_id: int, at: datetime) -> bool:
        return any(a.room_id == room_id and a.covers(at) for a in self.assignments)

    def may_attend(self, session: models.EventSession) -> bool:
        if not session.requires_payment:
            return self.member_in(session.event_id) is not None
        access = self.session_accesses.get(session.id or 0)
        return access is not None and access.has_access

    def has_scanned(self, event_id: int, member_id: int) -> bool:
        exposant = self.member_in(event_id)
        if exposant is None or exposant.role != Role.EXPOSANT or exposant.id is None:
            return False
        if exposant.id not in self._scanned:
            stmt = (
                select(models.Visit.participant_id)
                .where(models.Visit.exposant_id == exposant.id)
                .distinct()
            )
            self._scanned[exposant.id] = frozenset(self.db.exec(stmt))
        return member_id in self._scanned[exposant.id]
