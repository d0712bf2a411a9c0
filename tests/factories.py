"""Builders of test data, written straight to the test database, and real tokens for their users."""

from __future__ import annotations

import functools
import itertools
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

import models
from kernel import security
from kernel.ids import encode
from kernel.settings import Settings
from models import Role, SessionKind
from resolvers.badges import new_code

PASSWORD = "correct horse battery"
_seq = itertools.count(1)
# argon2 takes about half a second by design: each test password is hashed once per run (a
# real hash, kept; bound to the function itself, so it stays right where the seed's users take
# it in place of `security.hash_password`).
password_hash = functools.cache(security.hash_password)


def gid(type_name: str, row: Any) -> str:
    return encode(type_name, row.id)


class Factory:
    def __init__(self, db: Session, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self.now = models.utcnow()

    def _save(self, row: Any) -> Any:
        self.db.add(row)
        self.db.commit()
        self.db.refresh(row)
        return row

    def user(
        self,
        *,
        email: str | None = None,
        name: str | None = None,
        admin: bool = False,
        password: str = PASSWORD,
    ) -> models.User:
        n = next(_seq)
        return self._save(
            models.User(
                email=email or f"user{n}@example.org",
                full_name=name or f"User {n}",
                password_hash=password_hash(password),
                is_admin=admin,
            )
        )

    def token(self, user: models.User) -> str:
        assert user.id is not None
        return security.issue_access_token(self.settings, user.id, models.utcnow()).token

    def refresh_token(self, user: models.User) -> str:
        """A refresh token of a new login chain of `user`, as logging in stores one."""
        assert user.id is not None
        secret = security.new_secret()
        self._save(
            models.RefreshToken(
                user_id=user.id,
                token_hash=security.digest(secret),
                family=f"family-{next(_seq)}",
                expires_at=self.now + timedelta(days=self.settings.refresh_token_days),
            )
        )
        return secret

    def invitation(self, user: models.User) -> str:
        """A one-time token that lets `user` set a password, as an invitation stores one."""
        secret = security.new_secret()
        user.password_token_hash = security.digest(secret)
        user.password_token_expires_at = self.now + timedelta(days=7)
        self._save(user)
        return secret

    def event(
        self, *, president: models.User | None = None, timezone: str = "UTC", **kw: Any
    ) -> models.Event:
        n = next(_seq)
        values: dict[str, Any] = {
            "name": f"Event {n}",
            "starts_at": self.now - timedelta(days=1),
            "ends_at": self.now + timedelta(days=2),
            "timezone": timezone,
            "president_id": president.id if president else None,
        }
        values.update(kw)
        return self._save(models.Event(**values))

    def member(
        self, event: models.Event, role: Role, *, user: models.User | None = None, company: str = ""
    ) -> models.Member:
        user = user or self.user()
        assert event.id is not None
        assert user.id is not None
        member = self._save(
            models.Member(
                event_id=event.id,
                user_id=user.id,
                role=role,
                company=company,
                display_name=user.full_name,
            )
        )
        self._save(models.Badge(member_id=member.id, code=new_code()))
        return member

    def badge(self, member: models.Member) -> models.Badge:
        from sqlmodel import col, select

        stmt = (
            select(models.Badge)
            .where(models.Badge.member_id == member.id)
            .order_by(col(models.Badge.id).desc())
        )
        badge = self.db.exec(stmt).first()
        assert badge is not None
        return badge

    def room(self, event: models.Event, *, capacity: int = 50, **kw: Any) -> models.Room:
        n = next(_seq)
        assert event.id is not None
        return self._save(
            models.Room(
                event_id=event.id, name=kw.pop("name", f"Salle {n}"), capacity=capacity, **kw
            )
        )

    def session(
        self,
        room: models.Room,
        *,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        kind: SessionKind = SessionKind.CONFERENCE,
        price: Decimal = Decimal("0"),
        **kw: Any,
    ) -> models.EventSession:
        n = next(_seq)
        starts_at = starts_at or self.now - timedelta(minutes=30)
        return self._save(
            models.EventSession(
                event_id=room.event_id,
                room_id=room.id,
                title=kw.pop("title", f"Session {n}"),
                kind=kind,
                is_paid=price > 0,
                price=price,
                starts_at=starts_at,
                ends_at=ends_at or starts_at + timedelta(hours=1),
                **kw,
            )
        )

    def assignment(
        self,
        member: models.Member,
        room: models.Room,
        *,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
    ) -> models.RoomAssignment:
        return self._save(
            models.RoomAssignment(
                event_id=member.event_id,
                member_id=member.id,
                room_id=room.id,
                role=member.role,
                starts_at=starts_at or self.now - timedelta(hours=1),
                ends_at=ends_at or self.now + timedelta(hours=1),
            )
        )

    def access(
        self, session: models.EventSession, member: models.Member, status: models.PaymentStatus
    ) -> models.SessionAccess:
        return self._save(
            models.SessionAccess(
                session_id=session.id,
                member_id=member.id,
                payment_status=status,
                amount_paid=session.price if status == models.PaymentStatus.PAID else Decimal("0"),
            )
        )

    def annonce(
        self, event: models.Event, author: models.User, target: models.AnnonceTarget, **kw: Any
    ) -> models.Annonce:
        n = next(_seq)
        assert event.id is not None
        assert author.id is not None
        return self._save(
            models.Annonce(
                event_id=event.id,
                title=kw.pop("title", f"Annonce {n}"),
                description="…",
                target=target,
                created_by_id=author.id,
                **kw,
            )
        )

    def question(
        self, session: models.EventSession, author: models.Member, text: str = "Une question ?"
    ) -> models.Question:
        return self._save(
            models.Question(
                event_id=session.event_id, session_id=session.id, author_id=author.id, text=text
            )
        )

    def visit(
        self,
        exposant: models.Member,
        participant: models.Member,
        *,
        scanned_at: datetime | None = None,
        note: str = "",
    ) -> models.Visit:
        return self._save(
            models.Visit(
                event_id=exposant.event_id,
                exposant_id=exposant.id,
                participant_id=participant.id,
                scanned_at=scanned_at or models.utcnow(),
                note=note,
            )
        )

    def scan(
        self,
        room: models.Room,
        member: models.Member | None,
        *,
        controller: models.Member,
        status: models.ScanStatus = models.ScanStatus.GRANTED,
        reason: models.DenyReason | None = None,
        session: models.EventSession | None = None,
        scanned_at: datetime | None = None,
        client_scanned_at: datetime | None = None,
        code: str | None = None,
    ) -> models.RoomAccess:
        """A row of the scan log, as the door would have written it."""
        return self._save(
            models.RoomAccess(
                event_id=room.event_id,
                room_id=room.id,
                session_id=session.id if session is not None else None,
                member_id=member.id if member is not None else None,
                code=code or (self.badge(member).code if member is not None else "AGB-unknown"),
                controller_id=controller.id,
                scanned_by_id=controller.user_id,
                status=status,
                reason=reason,
                scanned_at=scanned_at or models.utcnow(),
                client_scanned_at=client_scanned_at,
            )
        )

    def scans(
        self,
        room: models.Room,
        members: list[models.Member],
        *,
        controller: models.Member,
        session: models.EventSession | None = None,
        status: models.ScanStatus = models.ScanStatus.GRANTED,
        reason: models.DenyReason | None = None,
        start: datetime | None = None,
        step: timedelta = timedelta(seconds=1),
    ) -> None:
        """Many scans in one commit, `step` apart from `start`, one per member in order."""
        start = start or self.now - timedelta(minutes=30)
        self.db.add_all(
            models.RoomAccess(
                event_id=room.event_id,
                room_id=room.id,
                session_id=session.id if session is not None else None,
                member_id=m.id,
                code=f"AGB-bulk-{m.id}",
                controller_id=controller.id,
                scanned_by_id=controller.user_id,
                status=status,
                reason=reason,
                scanned_at=start + i * step,
            )
            for i, m in enumerate(members)
        )
        self.db.commit()

    def people(self, event: models.Event, role: Role, n: int) -> list[models.Member]:
        """`n` members (users without passwords, no badge) inserted in bulk: for volume tests."""
        first = next(_seq)
        for _ in range(n):
            next(_seq)
        users = [
            models.User(email=f"bulk{first}-{i}@example.org", full_name=f"Bulk {first}-{i}")
            for i in range(n)
        ]
        self.db.add_all(users)
        self.db.flush()
        members = [
            models.Member(
                event_id=event.id,
                user_id=u.id,
                role=role,
                company=f"Co {i}",
                display_name=u.full_name,
            )
            for i, u in enumerate(users)
        ]
        self.db.add_all(members)
        self.db.commit()
        return members

    def visits(
        self,
        exposant: models.Member,
        participants: list[models.Member],
        *,
        start: datetime,
        step: timedelta = timedelta(seconds=1),
    ) -> None:
        """One visit per participant, `step` apart from `start`, in one commit."""
        self.db.add_all(
            models.Visit(
                event_id=exposant.event_id,
                exposant_id=exposant.id,
                participant_id=p.id,
                scanned_at=start + i * step,
            )
            for i, p in enumerate(participants)
        )
        self.db.commit()
