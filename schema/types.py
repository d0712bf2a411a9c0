"""The GraphQL object types: one graph, so one module.

Every type here reaches every other through its fields (an event lists its rooms and a room
names its event; a member has a current assignment and an assignment names its member; an event's
stats list sessions, whose questions name members), so split into modules they would import
one another. Each domain's operations (its inputs, mutations and queries) live in the domain's
module beside this one (`events.py`, `rooms.py`, `staff.py`, ...), and the types that nothing
here reaches back to live there too (`files.File`, `badges.Badge`). Thin: the types map models
and call resolvers and loaders.

Sections, in order: Users, Events, Rooms, Sessions, Members, Annonces, Staff, Questions,
Scanning, Audit, Statistics.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

import models
from kernel.ids import encode, optional_pk
from kernel.moments import aware
from permissions import Role, Subject, allowed, subjects
from permissions.rules import (
    ADMIN,
    CONTROLLER_HERE,
    EVENT_STAFF,
    EVENT_STATS_RULES,
    EXPOSANT_SCANNED,
    EXPOSANT_STATS_RULES,
    MEMBER_AUTHOR,
    MEMBER_SELF,
    MEMBER_WITH_ACCESS,
    ORGANIZER,
    QUESTION_READERS,
    ROOM_STATS_RULES,
)
from resolvers import anomalies as anomaly_resolvers
from resolvers import audit as audit_resolvers
from resolvers import members as member_resolvers
from resolvers import questions as question_resolvers
from resolvers import staff as staff_resolvers
from resolvers import stats as stats_resolvers
from resolvers.pagination import Page
from schema.badges import Badge
from schema.enums import (
    AnnonceTarget,
    DenyReason,
    PaymentStatus,
    ScanStatus,
    SessionKind,
    SessionStatus,
)
from schema.fields import field
from schema.files import File
from schema.info import Info
from schema.loading import maybe, one, required
from schema.node import Node, PageInfo, page_edges

# Users


@strawberry.type(description="A person who can log in. The same user may belong to many events.")
class User(Node):
    full_name: str
    is_admin: bool
    model: strawberry.Private[models.User]
    # The event (and membership) through which this user was reached, for the policy.
    via_event_id: strawberry.Private[int | None]
    via_member_id: strawberry.Private[int | None]

    @classmethod
    def from_model(
        cls, user: models.User, via: models.Member | None = None, event_id: int | None = None
    ) -> User:
        assert user.id is not None
        return cls(
            id=strawberry.ID(encode("User", user.id)),
            full_name=user.full_name,
            is_admin=user.is_admin,
            model=user,
            via_event_id=via.event_id if via is not None else event_id,
            via_member_id=via.id if via is not None else None,
        )

    def subject(self) -> Subject:
        return Subject(
            event_id=self.via_event_id, owner_user_id=self.model.id, member_id=self.via_member_id
        )

    @allowed(ADMIN, ORGANIZER, MEMBER_SELF, EXPOSANT_SCANNED)
    def email(self) -> str | None:
        return self.model.email

    @allowed(
        ADMIN,
        MEMBER_SELF,
        description="The viewer's memberships, one per event (only on the viewer's own user, or for ADMIN).",
    )
    def memberships(self, info: Info) -> list[Member] | None:
        return [
            Member.from_model(m) for m in member_resolvers.memberships_of(info.context, self.model)
        ]


def _event_user(info: Info, user_id: int | None, event_id: int | None) -> User | None:
    """A user met through an event (a president, an author, an actor), for the policy's `via`."""
    return maybe(
        info.context.loaders.user_by_id, user_id, partial(User.from_model, event_id=event_id)
    )


# Events


def _event_file(info: Info, event_id: int | None, kind: models.FileKind) -> File | None:
    assert event_id is not None
    stored = info.context.loaders.files_by_event_id.load(event_id).get(kind)
    return File.from_model(stored) if stored is not None else None


@strawberry.type(description="A salon or congress: its rooms, programme, members and annonces.")
class Event(Node):
    name: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    timezone: str = strawberry.field(description="IANA time zone name, used for 'today' in stats.")
    model: strawberry.Private[models.Event]

    @classmethod
    def from_model(cls, e: models.Event) -> Event:
        assert e.id is not None
        return cls(
            id=strawberry.ID(encode("Event", e.id)),
            name=e.name,
            description=e.description,
            location=e.location,
            starts_at=e.starts_at,
            ends_at=e.ends_at,
            timezone=e.timezone,
            model=e,
        )

    def subject(self) -> Subject:
        return subjects.event_subject(self.model)

    @field(description="The event's president (ORGANIZER in @allow).")
    def president(self, info: Info) -> User | None:
        return _event_user(info, self.model.president_id, self.model.id)

    @field(description="The programme (PDF).")
    def programme(self, info: Info) -> File | None:
        return _event_file(info, self.model.id, models.FileKind.PROGRAMME)

    @field(description="The visitors' guide (PDF).")
    def guide(self, info: Info) -> File | None:
        return _event_file(info, self.model.id, models.FileKind.GUIDE)

    @field(description="The event's rooms, by name.")
    def rooms(self, info: Info) -> list[Room]:
        assert self.model.id is not None
        return [
            Room.from_model(r) for r in info.context.loaders.rooms_by_event_id.load(self.model.id)
        ]

    @field(description="The programme, by start time; optionally only one kind, status or room.")
    def sessions(
        self,
        info: Info,
        kind: SessionKind | None = None,
        status: SessionStatus | None = None,
        room_id: strawberry.ID | None = None,
    ) -> list[Session]:
        assert self.model.id is not None
        rows = info.context.loaders.sessions_by_event_id.load(self.model.id)
        room_pk = optional_pk("Room", room_id)
        return [
            Session.from_model(s)
            for s in rows
            if (kind is None or s.kind == kind)
            and (status is None or s.status == status)
            and (room_pk is None or s.room_id == room_pk)
        ]

    @field(
        description="Announcements targeted at the viewer's role (ORGANIZER and ADMIN see all), newest first."
    )
    def annonces(self, info: Info) -> list[Annonce]:
        assert self.model.id is not None
        return [
            Annonce.from_model(a)
            for a in subjects.readable_annonces(
                info.context, info.context.loaders.annonces_by_event_id.load(self.model.id)
            )
        ]

    @field(description="The viewer's own membership in this event, if any.")
    def my_membership(self, info: Info) -> Member | None:
        member = info.context.require_viewer().member_in(self.model.id)
        return Member.from_model(member) if member is not None else None

    @field(
        description="The event's exposants (name, company, stand plan), for every member: the salon directory."
    )
    def exposants(self, info: Info) -> list[Member]:
        return [
            Member.from_model(m) for m in member_resolvers.list_exposants(info.context, self.model)
        ]

    @allowed(*EVENT_STAFF)
    def members(
        self,
        info: Info,
        role: Role | None = None,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> MemberConnection | None:
        page = member_resolvers.list_members(
            info.context, self.model, role=role, search=search, first=first, after=after
        )
        return MemberConnection.from_page(page)

    @allowed(
        *EVENT_STAFF,
        description="Staff assignments overlapping `at` (default now), or all when `at` is null and `all` is true (the most recent 500, cancelled ones included).",
    )
    def staff_assignments(
        self, info: Info, at: datetime | None = None, all: bool | None = False
    ) -> list[RoomAssignment] | None:

        rows = staff_resolvers.list_event_assignments(
            info.context, self.model, at=at, all_assignments=bool(all)
        )
        return [RoomAssignment.from_model(a) for a in rows]

    @allowed(
        ADMIN,
        ORGANIZER,
        description="Privileged changes in this event, newest first; `action` keeps one kind (for example session.update).",
    )
    def audit_log(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        action: str | None = None,
    ) -> AuditEntryConnection | None:

        page = audit_resolvers.list_entries(
            info.context, self.model, action=action, first=first, after=after
        )
        return AuditEntryConnection.from_page(page)

    @allowed(
        *EVENT_STAFF,
        description=(
            "Badges granted at two different rooms less than `withinMinutes` apart (1 to 1440, "
            "default 5, also when null), consecutive grants of one member compared by when the device saw the "
            "badge (offline scans synced later included); newest second grant first, at most 500."
        ),
    )
    def badge_anomalies(
        self, info: Info, within_minutes: int | None = 5
    ) -> list[BadgeAnomaly] | None:

        rows = anomaly_resolvers.list_badge_anomalies(
            info.context, self.model, within_minutes=5 if within_minutes is None else within_minutes
        )
        return [
            BadgeAnomaly(
                member=Member.from_model(a.member),
                first=RoomAccess.from_model(a.first),
                second=RoomAccess.from_model(a.second),
            )
            for a in rows
        ]

    @field(description="Absolute path of the programme as an iCalendar feed (RFC 5545).")
    def ical_url(self) -> str:
        return f"/events/{self.id}/programme.ics"

    @allowed(
        *EVENT_STATS_RULES,
        description="Members, entries, scans by hour and each session's attendance.",
    )
    def stats(self) -> EventStats | None:

        return EventStats.for_event(self.model)


# Rooms


@strawberry.type(description="A room of the event: the place is the set of its rooms.")
class Room(Node):
    name: str
    description: str
    location: str
    capacity: int
    model: strawberry.Private[models.Room]

    @classmethod
    def from_model(cls, r: models.Room) -> Room:
        assert r.id is not None
        return cls(
            id=strawberry.ID(encode("Room", r.id)),
            name=r.name,
            description=r.description,
            location=r.location,
            capacity=r.capacity,
            model=r,
        )

    def subject(self) -> Subject:
        return subjects.room_subject(self.model)

    @strawberry.field
    def event(self, info: Info) -> Event:
        return one(info.context.loaders.event_by_id, self.model.event_id, Event.from_model)

    @field(description="The room's sessions, by start time.")
    def sessions(self, info: Info) -> list[Session]:
        assert self.model.id is not None
        return [
            Session.from_model(s)
            for s in info.context.loaders.sessions_by_room_id.load(self.model.id)
        ]

    @allowed(
        *EVENT_STAFF,
        CONTROLLER_HERE,
        description="The staff holding this room at `at` (default now).",
    )
    def staff(self, info: Info, at: datetime | None = None) -> list[RoomAssignment] | None:

        assert self.model.id is not None
        moment = info.context.now if at is None else aware(at, "`at`")
        loader = info.context.loaders.staff_by_room_id_at(moment)
        return [RoomAssignment.from_model(a) for a in loader.load(self.model.id)]

    @field(description="The session running now in this room, if any.")
    def current_session(self, info: Info) -> Session | None:
        found = stats_resolvers.current_session(info.context, self.model)
        return Session.from_model(found) if found is not None else None

    @field(description="The next session to start in this room, if any.")
    def next_session(self, info: Info) -> Session | None:
        found = stats_resolvers.next_session(info.context, self.model)
        return Session.from_model(found) if found is not None else None

    @field(description="Distinct members granted entry to the current session (0 when none runs).")
    def occupancy(self, info: Info) -> int:
        assert self.model.id is not None
        return info.context.loaders.occupancy_by_room_id.load(self.model.id)

    @allowed(
        *ROOM_STATS_RULES,
        description="Scans at this room's door, optionally from `from` (included) to `to` (excluded).",
    )
    def stats(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> RoomStats | None:

        # Offsets checked first: a naive time cannot be compared with an aware one.
        from_ = None if from_ is None else aware(from_, "`from`")
        to = None if to is None else aware(to, "`to`")
        stats_resolvers.check_period(from_, to)
        event = required(info.context.loaders.event_by_id, self.model.event_id)
        return RoomStats.for_room(self.model, event, from_, to)


# Sessions


@strawberry.type(
    name="Session", description="A conference or an atelier, in one room, at one time."
)
class Session(Node):
    title: str
    description: str
    speaker_name: str
    kind: SessionKind
    is_paid: bool
    price: Decimal
    status: SessionStatus
    starts_at: datetime
    ends_at: datetime
    model: strawberry.Private[models.EventSession]

    @classmethod
    def from_model(cls, s: models.EventSession) -> Session:
        assert s.id is not None
        return cls(
            id=strawberry.ID(encode("Session", s.id)),
            title=s.title,
            description=s.description,
            speaker_name=s.speaker_name,
            kind=models.SessionKind(s.kind),
            is_paid=s.is_paid,
            price=Decimal(s.price),
            status=models.SessionStatus(s.status),
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            model=s,
        )

    def subject(self) -> Subject:
        return subjects.session_subject(self.model)

    @strawberry.field
    def event(self, info: Info) -> Event:
        return one(info.context.loaders.event_by_id, self.model.event_id, Event.from_model)

    @strawberry.field
    def room(self, info: Info) -> Room:
        return one(info.context.loaders.room_by_id, self.model.room_id, Room.from_model)

    @allowed(*EVENT_STAFF, MEMBER_WITH_ACCESS)
    def youtube_live_url(self) -> str | None:
        return self.model.youtube_live_url

    @allowed(
        *EVENT_STAFF,
        description="Members' marked accesses (paid ateliers), optionally of one status.",
    )
    def access_list(
        self, info: Info, payment_status: PaymentStatus | None = None
    ) -> list[SessionAccess] | None:
        assert self.model.id is not None
        rows = info.context.loaders.accesses_by_session_id.load(self.model.id)
        result = []
        for access in rows:
            if payment_status is None or access.payment_status == payment_status:
                member = required(info.context.loaders.member_by_id, access.member_id)
                result.append(SessionAccess.for_member(self.model, member, access))
        return result

    @field(
        description="The viewer's access to this session (null when the viewer holds no membership)."
    )
    def my_access(self, info: Info) -> SessionAccess | None:
        viewer = info.context.require_viewer()
        member = viewer.member_in(self.model.event_id)
        if member is None:
            return None
        access = viewer.session_accesses.get(self.model.id or 0)
        return SessionAccess.for_member(self.model, member, access)

    @allowed(
        *QUESTION_READERS,
        description="Questions asked in this session: unanswered first, then most upvoted, then oldest.",
    )
    def questions(
        self,
        info: Info,
        answered: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> QuestionConnection | None:

        return QuestionConnection.for_session(self.model, answered, first, after)

    @allowed(
        *ROOM_STATS_RULES,
        description="Distinct members granted entry to this session, against room capacity.",
    )
    def attendance(self, info: Info) -> int | None:
        assert self.model.id is not None
        return info.context.loaders.attendance_by_session_id.load(self.model.id)


@strawberry.type(
    description="A member's access to a session; for paid ateliers, as marked by staff."
)
class SessionAccess:
    payment_status: PaymentStatus
    has_access: bool
    amount_paid: Decimal
    paid_at: datetime | None
    session_model: strawberry.Private[models.EventSession]
    member_model: strawberry.Private[models.Member]

    @classmethod
    def for_member(
        cls,
        session: models.EventSession,
        member: models.Member,
        access: models.SessionAccess | None,
    ) -> SessionAccess:
        if access is not None:
            return cls(
                payment_status=models.PaymentStatus(access.payment_status),
                has_access=access.has_access,
                amount_paid=Decimal(access.amount_paid),
                paid_at=access.paid_at,
                session_model=session,
                member_model=member,
            )
        # Conferences and free ateliers are open to every member without a row.
        free = not session.requires_payment
        return cls(
            payment_status=models.PaymentStatus.FREE if free else models.PaymentStatus.PENDING,
            has_access=free,
            amount_paid=Decimal("0"),
            paid_at=None,
            session_model=session,
            member_model=member,
        )

    @strawberry.field
    def member(self) -> Member:
        return Member.from_model(self.member_model)

    @strawberry.field
    def session(self) -> Session:
        return Session.from_model(self.session_model)


# Members


@strawberry.type(description="A user's membership in one event, with its one role.")
class Member(Node):
    role: Role = strawberry.field(
        description="One of GESTIONNAIRE_DES_SALLES, CONTROLLEUR_DES_BADGES, PARTICIPANT, EXPOSANT."
    )
    company: str
    checked_in_at: datetime | None
    shares_contact: bool = strawberry.field(
        description="Whether exposants who scanned this participant may read its email (true unless the participant said no with setContactSharing)."
    )
    model: strawberry.Private[models.Member]

    @classmethod
    def from_model(cls, m: models.Member) -> Member:
        assert m.id is not None
        return cls(
            id=strawberry.ID(encode("Member", m.id)),
            role=models.Role(m.role),
            company=m.company,
            checked_in_at=m.checked_in_at,
            shares_contact=m.shares_contact,
            model=m,
        )

    def subject(self) -> Subject:
        return Subject(
            event_id=self.model.event_id, owner_member_id=self.model.id, member_id=self.model.id
        )

    def _user(self, info: Info) -> models.User:
        return required(info.context.loaders.user_by_id, self.model.user_id)

    @strawberry.field
    def event(self, info: Info) -> Event:
        return one(info.context.loaders.event_by_id, self.model.event_id, Event.from_model)

    @strawberry.field
    def user(self, info: Info) -> User:
        return User.from_model(self._user(info), via=self.model)

    @strawberry.field
    def full_name(self, info: Info) -> str:
        return self._user(info).full_name

    @allowed(*EVENT_STAFF, MEMBER_SELF, EXPOSANT_SCANNED)
    def email(self, info: Info) -> str | None:
        return self._user(info).email

    @allowed(*EVENT_STAFF, MEMBER_SELF)
    def badge(self, info: Info) -> Badge | None:
        assert self.model.id is not None
        return maybe(info.context.loaders.badge_by_member_id, self.model.id, Badge.from_model)

    @field(description="An exposant's stand plan (PDF).")
    def plan(self, info: Info) -> File | None:
        assert self.model.id is not None
        return maybe(info.context.loaders.plan_by_member_id, self.model.id, File.from_model)

    @allowed(
        *EVENT_STAFF,
        MEMBER_SELF,
        description="The room this staff member is assigned to right now, if any.",
    )
    def current_assignment(self, info: Info) -> RoomAssignment | None:

        assert self.model.id is not None
        if self.model.role not in models.STAFF_ROLES:
            return None
        assignments = info.context.loaders.assignments_by_member_id_at(info.context.now).load(
            self.model.id
        )
        return RoomAssignment.from_model(assignments[0]) if assignments else None

    @allowed(
        *EXPOSANT_STATS_RULES, description="Visit statistics of an exposant; null for other roles."
    )
    def exposant_stats(self, info: Info) -> ExposantStats | None:

        if self.model.role != Role.EXPOSANT:
            return None
        event = required(info.context.loaders.event_by_id, self.model.event_id)
        return ExposantStats.for_member(self.model, event)


@strawberry.type
class MemberEdge:
    cursor: str
    node: Member


@strawberry.type
class MemberConnection:
    page_info: PageInfo
    edges: list[MemberEdge]
    total_count: int

    @classmethod
    def from_page(cls, page: Page[models.Member]) -> MemberConnection:
        return cls(
            page_info=PageInfo.of(page),
            edges=page_edges(page, MemberEdge, Member.from_model),
            total_count=page.total_count,
        )


# Annonces


@strawberry.type(description="An announcement to the members of an event, by target role.")
class Annonce(Node):
    title: str
    description: str
    target: AnnonceTarget
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[models.Annonce]

    @classmethod
    def from_model(cls, a: models.Annonce) -> Annonce:
        assert a.id is not None
        return cls(
            id=strawberry.ID(encode("Annonce", a.id)),
            title=a.title,
            description=a.description,
            target=models.AnnonceTarget(a.target),
            created_at=a.created_at,
            updated_at=a.updated_at,
            model=a,
        )

    def subject(self) -> Subject:
        return subjects.annonce_subject(self.model)

    @strawberry.field
    def event(self, info: Info) -> Event:
        return one(info.context.loaders.event_by_id, self.model.event_id, Event.from_model)

    @strawberry.field
    def created_by(self, info: Info) -> User:
        return one(
            info.context.loaders.user_by_id,
            self.model.created_by_id,
            partial(User.from_model, event_id=self.model.event_id),
        )

    @field(description="True when the viewer may edit or delete it (only its author may).")
    def can_edit(self, info: Info) -> bool:
        return self.model.created_by_id == info.context.require_viewer().user_id


# Staff


@strawberry.type(
    description="A staff member's assignment in one room. Never deleted: ended assignments keep their history."
)
class RoomAssignment(Node):
    role: Role = strawberry.field(description="The member's role when assigned.")
    starts_at: datetime
    ends_at: datetime = strawberry.field(
        description="When the assignment ends (or ended: endAssignment and reassignStaff shorten it)."
    )
    assigned_at: datetime
    cancelled: bool = strawberry.field(
        description="Ended before it began: kept for the record, it never held the room."
    )
    ended_at: datetime | None = strawberry.field(
        description="When someone ended or cancelled the assignment early; null when it runs its course."
    )
    model: strawberry.Private[models.RoomAssignment]

    @classmethod
    def from_model(cls, a: models.RoomAssignment) -> RoomAssignment:
        assert a.id is not None
        return cls(
            id=strawberry.ID(encode("RoomAssignment", a.id)),
            role=models.Role(a.role),
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            assigned_at=a.assigned_at,
            cancelled=a.cancelled,
            ended_at=a.ended_at,
            model=a,
        )

    def subject(self) -> Subject:
        return subjects.assignment_subject(self.model)

    @strawberry.field
    def member(self, info: Info) -> Member:
        return one(info.context.loaders.member_by_id, self.model.member_id, Member.from_model)

    @strawberry.field
    def room(self, info: Info) -> Room:
        return one(info.context.loaders.room_by_id, self.model.room_id, Room.from_model)

    @field(description="True while the assignment runs (at the time of the request).")
    def is_active(self, info: Info) -> bool:
        return self.model.covers(info.context.now)

    @field(description="Who made the assignment.")
    def assigned_by(self, info: Info) -> User | None:
        return _event_user(info, self.model.assigned_by_id, self.model.event_id)

    @field(description="Who ended or cancelled the assignment early, if anyone.")
    def ended_by(self, info: Info) -> User | None:
        return _event_user(info, self.model.ended_by_id, self.model.event_id)


# Questions


@strawberry.type(description="A question asked during a session, with its answer and upvotes.")
class Question(Node):
    text: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    upvotes: int
    is_hidden: bool = strawberry.field(
        description="Hidden by a moderator: then only moderators (ADMIN, ORGANIZER, the room's gestionnaire) see it at all."
    )
    is_pinned: bool = strawberry.field(description="Pinned by a moderator: listed first.")
    is_anonymous: bool = strawberry.field(
        description="Asked anonymously: `author` is shown to ADMIN and ORGANIZER only."
    )
    model: strawberry.Private[models.Question]
    session_model: strawberry.Private[models.EventSession]

    @classmethod
    def from_model(cls, q: models.Question, session: models.EventSession) -> Question:
        assert q.id is not None
        return cls(
            id=strawberry.ID(encode("Question", q.id)),
            text=q.text,
            asked_at=q.asked_at,
            answer=q.answer,
            answered_at=q.answered_at,
            upvotes=q.upvotes,
            is_hidden=q.is_hidden,
            is_pinned=q.is_pinned,
            is_anonymous=q.is_anonymous,
            model=q,
            session_model=session,
        )

    @classmethod
    def load(cls, info: Info, q: models.Question) -> Question:
        return cls.from_model(q, question_resolvers.session_of(info.context, q))

    def subject(self) -> Subject:
        return subjects.question_subject(self.model, self.session_model)

    @strawberry.field
    def session(self) -> Session:
        return Session.from_model(self.session_model)

    @strawberry.field
    def is_answered(self) -> bool:
        return self.model.answered_at is not None

    @allowed(
        *EVENT_STAFF,
        MEMBER_AUTHOR,
        subject=lambda _ctx, q, _kwargs: subjects.question_author_subject(q.model, q.session_model),
        description="Who asked: shown to staff and to the author only; for an anonymous question, to ADMIN and ORGANIZER only.",
    )
    def author(self, info: Info) -> Member | None:
        return maybe(info.context.loaders.member_by_id, self.model.author_id, Member.from_model)

    @field(description="Who wrote the answer (the last one to edit it).")
    def answered_by(self, info: Info) -> User | None:
        return _event_user(info, self.model.answered_by_id, self.model.event_id)

    @field(description="True when the viewer has upvoted it.")
    def upvoted_by_me(self, info: Info) -> bool:
        member = info.context.require_viewer().member_in(self.model.event_id)
        if member is None or member.id is None or self.model.id is None:
            return False
        return info.context.loaders.upvoted_by_member(member.id).load(self.model.id)


@strawberry.type
class QuestionEdge:
    cursor: str
    node: Question


@strawberry.type(
    description="A page of questions: pinned first, then unanswered, then most upvoted, then oldest. Hidden questions are left out, except for moderators."
)
class QuestionConnection:
    """Each part is read when asked for, batched across the sessions of the answer: a
    programme asking `questions { totalCount }` under 400 sessions runs one GROUP BY."""

    session_model: strawberry.Private[models.EventSession]
    answered: strawberry.Private[bool | None]
    first: strawberry.Private[int | None]
    after: strawberry.Private[str | None]
    _page: strawberry.Private[list[tuple[list[models.Question], list[str], bool]]]

    @classmethod
    def for_session(
        cls,
        session: models.EventSession,
        answered: bool | None,
        first: int | None,
        after: str | None,
    ) -> QuestionConnection:
        question_resolvers.check_page(first, after)
        return cls(session_model=session, answered=answered, first=first, after=after, _page=[])

    def _rows(self, info: Info) -> tuple[list[models.Question], list[str], bool]:
        if not self._page:
            session_id = self.session_model.id
            assert session_id is not None
            hidden = subjects.sees_hidden_questions(info.context, self.session_model)
            if self.after is None:
                loader = info.context.loaders.first_questions_by_session_id(
                    self.answered, hidden, self.first
                )
                self._page.append(loader.load(session_id))
            else:
                page = question_resolvers.list_questions(
                    info.context,
                    self.session_model,
                    answered=self.answered,
                    include_hidden=hidden,
                    first=self.first,
                    after=self.after,
                )
                self._page.append((page.items, page.cursors, page.has_next))
        return self._page[0]

    @strawberry.field
    def page_info(self, info: Info) -> PageInfo:
        _, cursors, has_next = self._rows(info)
        return PageInfo(
            has_next_page=has_next,
            has_previous_page=self.after is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )

    @strawberry.field
    def edges(self, info: Info) -> list[QuestionEdge]:
        items, cursors, _ = self._rows(info)
        return [
            QuestionEdge(cursor=c, node=Question.from_model(q, self.session_model))
            for c, q in zip(cursors, items, strict=True)
        ]

    @strawberry.field
    def total_count(self, info: Info) -> int:
        assert self.session_model.id is not None
        hidden = subjects.sees_hidden_questions(info.context, self.session_model)
        loader = info.context.loaders.question_count_by_session_id(self.answered, hidden)
        return loader.load(self.session_model.id)


# Scanning


@strawberry.type(description="An exposant's scan of a participant's badge at its stand.")
class Visit(Node):
    scanned_at: datetime
    note: str
    rating: int | None = strawberry.field(
        description="The exposant's grade of the lead, 1 (cold) to 5 (hot); null when not graded."
    )
    model: strawberry.Private[models.Visit]

    @classmethod
    def from_model(cls, v: models.Visit) -> Visit:
        assert v.id is not None
        return cls(
            id=strawberry.ID(encode("Visit", v.id)),
            scanned_at=v.scanned_at,
            note=v.note,
            rating=v.rating,
            model=v,
        )

    @field(
        description="The exposant's labels on the lead: trimmed, lowercase, each once, in alphabetical order."
    )
    def tags(self, info: Info) -> list[str]:
        assert self.model.id is not None
        return info.context.loaders.tags_by_visit_id.load(self.model.id)

    def subject(self) -> Subject:
        return subjects.visit_subject(self.model)

    @field(description="The participant whose badge was scanned.")
    def participant(self, info: Info) -> Member:
        return one(info.context.loaders.member_by_id, self.model.participant_id, Member.from_model)


@strawberry.type(
    description="One badge presented at a room door, granted or denied: every attempt is kept."
)
class RoomAccess(Node):
    status: ScanStatus
    reason: DenyReason | None
    scanned_at: datetime = strawberry.field(description="When the server recorded it.")
    client_scanned_at: datetime | None = strawberry.field(
        description="When the scanning device saw the badge (differs for offline scans synced later)."
    )
    model: strawberry.Private[models.RoomAccess]

    @classmethod
    def from_model(cls, a: models.RoomAccess) -> RoomAccess:
        assert a.id is not None
        return cls(
            id=strawberry.ID(encode("RoomAccess", a.id)),
            status=models.ScanStatus(a.status),
            reason=models.DenyReason(a.reason) if a.reason is not None else None,
            scanned_at=a.scanned_at,
            client_scanned_at=a.client_scanned_at,
            model=a,
        )

    def subject(self) -> Subject:
        return subjects.room_access_subject(self.model)

    @strawberry.field
    def room(self, info: Info) -> Room:
        return one(info.context.loaders.room_by_id, self.model.room_id, Room.from_model)

    @field(description="The session the scan was for, if one was running or about to.")
    def session(self, info: Info) -> Session | None:
        return maybe(info.context.loaders.session_by_id, self.model.session_id, Session.from_model)

    @field(
        description="The member whose badge was presented; null when the code matched no member of this event."
    )
    def member(self, info: Info) -> Member | None:
        return maybe(info.context.loaders.member_by_id, self.model.member_id, Member.from_model)

    @field(description="The controller who scanned.")
    def controller(self, info: Info) -> Member:
        assert self.model.controller_id is not None, "scan recorded without a controller"
        return one(info.context.loaders.member_by_id, self.model.controller_id, Member.from_model)


@strawberry.type(
    description="A badge granted at two different rooms too close in time for one person: a shared or copied badge."
)
class BadgeAnomaly:
    member: Member = strawberry.field(description="The member whose badge it is.")
    first: RoomAccess = strawberry.field(description="The earlier of the two grants.")
    second: RoomAccess = strawberry.field(
        description="The grant at another room that followed it too soon."
    )


@strawberry.type
class VisitEdge:
    cursor: str
    node: Visit


@strawberry.type
class VisitConnection:
    page_info: PageInfo
    edges: list[VisitEdge]
    total_count: int

    @classmethod
    def from_page(cls, page: Page[models.Visit]) -> VisitConnection:
        return cls(
            page_info=PageInfo.of(page),
            edges=page_edges(page, VisitEdge, Visit.from_model),
            total_count=page.total_count,
        )


@strawberry.type
class RoomAccessEdge:
    cursor: str
    node: RoomAccess


@strawberry.type
class RoomAccessConnection:
    page_info: PageInfo
    edges: list[RoomAccessEdge]
    total_count: int

    @classmethod
    def from_page(cls, page: Page[models.RoomAccess]) -> RoomAccessConnection:
        return cls(
            page_info=PageInfo.of(page),
            edges=page_edges(page, RoomAccessEdge, RoomAccess.from_model),
            total_count=page.total_count,
        )


# Audit


@strawberry.type(
    description="One privileged change in an event: who made it, when, and the fields it changed."
)
class AuditEntry:
    id: strawberry.ID
    at: datetime
    action: str = strawberry.field(
        description="What was done, as `domain.verb` (session.update, staff.reassign, badge.revoke, ...; listed in docs/organizers.md)."
    )
    subject_id: strawberry.ID | None = strawberry.field(
        description="Global id of the object changed (null when the change is of the whole event's data, as a retention run)."
    )
    before: JSON | None = strawberry.field(
        description="The changed fields as they were (null for a creation)."
    )
    after: JSON | None = strawberry.field(
        description="The changed fields as they became (null for a deletion)."
    )
    model: strawberry.Private[models.AuditEntry]

    @classmethod
    def from_model(cls, e: models.AuditEntry) -> AuditEntry:
        assert e.id is not None
        return cls(
            id=strawberry.ID(encode("AuditEntry", e.id)),
            at=e.at,
            action=e.action,
            subject_id=strawberry.ID(e.subject_id) if e.subject_id is not None else None,
            # JSON is Strawberry's name for any JSON value (the stored mapping itself).
            before=JSON(e.before) if e.before is not None else None,
            after=JSON(e.after) if e.after is not None else None,
            model=e,
        )

    @field(description="Who made the change (null for the operators' retention command).")
    def actor(self, info: Info) -> User | None:
        return _event_user(info, self.model.actor_id, self.model.event_id)


@strawberry.type
class AuditEntryEdge:
    cursor: str
    node: AuditEntry


@strawberry.type(description="A page of audit entries, newest first.")
class AuditEntryConnection:
    page_info: PageInfo
    edges: list[AuditEntryEdge]
    total_count: int

    @classmethod
    def from_page(cls, page: Page[models.AuditEntry]) -> AuditEntryConnection:
        return cls(
            page_info=PageInfo.of(page),
            edges=page_edges(page, AuditEntryEdge, AuditEntry.from_model),
            total_count=page.total_count,
        )


# Statistics: each stats object computes its figures on first use and keeps them for the
# request, so asking for totalVisits, todayVisits and uniqueVisitors together costs one statement.


@strawberry.type(description="A count of scans or visits in one hour.")
class HourCount:
    hour: datetime = strawberry.field(description="Start of the hour, in the event's time zone.")
    count: int


def _hours(rows: list[stats_resolvers.HourCount]) -> list[HourCount]:
    return [HourCount(hour=r.hour, count=r.count) for r in rows]


@strawberry.type(description="How many of an exposant's visits carry one tag.")
class TagCount:
    tag: str
    count: int


@strawberry.type(description="Denied scans for one reason.")
class ReasonCount:
    reason: DenyReason
    count: int


@strawberry.type(description="An exposant's visits: totals, by hour, the leads and their CSV.")
class ExposantStats:
    member: strawberry.Private[models.Member]
    event: strawberry.Private[models.Event]
    cache: strawberry.Private[dict[str, stats_resolvers.ExposantTotals]]

    @classmethod
    def for_member(cls, member: models.Member, event: models.Event) -> ExposantStats:
        return cls(member=member, event=event, cache={})

    def _totals(self, info: Info) -> stats_resolvers.ExposantTotals:
        if "totals" not in self.cache:
            self.cache["totals"] = stats_resolvers.exposant_totals(
                info.context, self.member, self.event
            )
        return self.cache["totals"]

    @field(description="Every visit recorded by this exposant.")
    def total_visits(self, info: Info) -> int:
        return self._totals(info).total

    @field(description="Visits since midnight in the event's time zone.")
    def today_visits(self, info: Info) -> int:
        return self._totals(info).today

    @field(description="Distinct participants scanned.")
    def unique_visitors(self, info: Info) -> int:
        return self._totals(info).unique

    @field(description="Visits per hour (local to the event), oldest hour first.")
    def by_hour(self, info: Info) -> list[HourCount]:
        return _hours(
            stats_resolvers.exposant_visits_by_hour(info.context, self.member, self.event)
        )

    @field(description="Visits per tag, most used first, then by tag; at most the 100 most used.")
    def by_tag(self, info: Info) -> list[TagCount]:
        return [
            TagCount(tag=r.tag, count=r.count)
            for r in stats_resolvers.exposant_visits_by_tag(info.context, self.member)
        ]

    @field(
        description="Newest first. `first` defaults to 50 and is capped at 100; cursors stay valid as visits arrive."
    )
    def visits(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> VisitConnection:
        # The totals statement counts the same rows (the stats' other fields often ask for it).
        page = stats_resolvers.list_visits(
            info.context,
            self.member,
            first=first,
            after=after,
            total=self._totals(info).total,
        )
        return VisitConnection.from_page(page)

    @field(
        description="Absolute path of a CSV export of the visits (leads): UTF-8, header row; send the same Bearer token."
    )
    def csv_url(self) -> str:
        assert self.member.id is not None
        return f"/exposants/{encode('Member', self.member.id)}/visits.csv"


@strawberry.type(description="Scans at a room's door over a period.")
class RoomStats:
    room: strawberry.Private[models.Room]
    event: strawberry.Private[models.Event]
    since: strawberry.Private[datetime | None]
    until: strawberry.Private[datetime | None]
    cache: strawberry.Private[dict[str, stats_resolvers.RoomTotals]]

    @classmethod
    def for_room(
        cls, room: models.Room, event: models.Event, since: datetime | None, until: datetime | None
    ) -> RoomStats:
        return cls(room=room, event=event, since=since, until=until, cache={})

    def _totals(self, info: Info) -> stats_resolvers.RoomTotals:
        if "totals" not in self.cache:
            self.cache["totals"] = stats_resolvers.room_totals(
                info.context, self.room, since=self.since, until=self.until
            )
        return self.cache["totals"]

    @field(description="Every badge presented, granted or denied.")
    def total_scans(self, info: Info) -> int:
        return self._totals(info).total

    @field(description="Scans that let the member in.")
    def granted(self, info: Info) -> int:
        return self._totals(info).granted

    @field(description="Scans refused ('blocks').")
    def denied(self, info: Info) -> int:
        return self._totals(info).denied

    @field(description="Distinct members granted entry.")
    def unique_members(self, info: Info) -> int:
        return self._totals(info).unique_members

    @field(description="Denied scans per reason, most frequent first.")
    def by_reason(self, info: Info) -> list[ReasonCount]:
        rows = stats_resolvers.room_denials_by_reason(
            info.context, self.room, since=self.since, until=self.until
        )
        return [ReasonCount(reason=reason, count=n) for reason, n in rows]

    @field(description="Scans per hour (local to the event), oldest hour first.")
    def by_hour(self, info: Info) -> list[HourCount]:
        return _hours(
            stats_resolvers.room_scans_by_hour(
                info.context, self.room, self.event, since=self.since, until=self.until
            )
        )

    @field(
        description="Newest first. `first` defaults to 50 and is capped at 100; cursors stay valid as scans arrive."
    )
    def scans(
        self,
        info: Info,
        status: ScanStatus | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> RoomAccessConnection:
        page = stats_resolvers.list_room_scans(
            info.context,
            self.room,
            since=self.since,
            until=self.until,
            status=status,
            first=first,
            after=after,
            total=self._count_of(info, status),
        )
        return RoomAccessConnection.from_page(page)

    def _count_of(self, info: Info, status: ScanStatus | None) -> int:
        """The scans of that status, from the totals statement the other fields share."""
        totals = self._totals(info)
        if status is None:
            return totals.total
        return totals.granted if status == ScanStatus.GRANTED else totals.denied


@strawberry.type(description="A session's attendance against its room's capacity.")
class SessionAttendance:
    session: Session
    attendance: int = strawberry.field(description="Distinct members granted entry.")
    capacity: int = strawberry.field(description="The capacity of the session's room.")
    no_shows: int = strawberry.field(
        description="Paid-atelier members marked PAID who were never granted entry (0 for free sessions)."
    )

    @classmethod
    def from_row(cls, row: stats_resolvers.SessionAttendance) -> SessionAttendance:
        return cls(
            session=Session.from_model(row.session),
            attendance=row.attendance,
            capacity=row.capacity,
            no_shows=row.no_shows,
        )


@strawberry.type(
    description="The event at a glance: members, entries, scans, the programme's attendance."
)
class EventStats:
    event: strawberry.Private[models.Event]
    cache: strawberry.Private[dict[str, stats_resolvers.EventTotals]]

    @classmethod
    def for_event(cls, event: models.Event) -> EventStats:
        return cls(event=event, cache={})

    def _totals(self, info: Info) -> stats_resolvers.EventTotals:
        if "totals" not in self.cache:
            self.cache["totals"] = stats_resolvers.event_totals(info.context, self.event)
        return self.cache["totals"]

    @field(description="Members of the event, every role.")
    def members(self, info: Info) -> int:
        return self._totals(info).members

    @field(description="Members granted entry at least once.")
    def checked_in(self, info: Info) -> int:
        return self._totals(info).checked_in

    @field(description="Every badge presented at any door.")
    def total_scans(self, info: Info) -> int:
        return self._totals(info).total_scans

    @field(description="Scans refused at any door.")
    def denied(self, info: Info) -> int:
        return self._totals(info).denied

    @field(description="Scans per hour (local to the event), oldest hour first.")
    def scans_by_hour(self, info: Info) -> list[HourCount]:
        return _hours(stats_resolvers.event_scans_by_hour(info.context, self.event))

    @field(description="Every session of the programme, by start time.")
    def sessions(self, info: Info) -> list[SessionAttendance]:
        rows = stats_resolvers.event_session_attendance(info.context, self.event)
        return [SessionAttendance.from_row(r) for r in rows]

    @field(
        description="Absolute path of a CSV export of the event's scan log, newest first (organizers, gestionnaires, admins); send the same Bearer token."
    )
    def scans_csv_url(self) -> str:
        assert self.event.id is not None
        return f"/events/{encode('Event', self.event.id)}/scans.csv"
