"""GraphQL object types of the core domain. Thin: they map models and call resolvers/loaders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Annotated

import strawberry

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
    MEMBER_SELF,
    MEMBER_WITH_ACCESS,
    ORGANIZER,
    QUESTION_READERS,
    ROOM_STATS_RULES,
)
from resolvers import anomalies as anomaly_resolvers
from resolvers import audit as audit_resolvers
from resolvers import badges as badge_resolvers
from resolvers import members as member_resolvers
from resolvers import staff as staff_resolvers
from resolvers import stats as stats_resolvers
from schema.enums import AnnonceTarget, PaymentStatus, SessionKind, SessionStatus
from schema.fields import field
from schema.info import Info
from schema.loading import maybe, one
from schema.node import Node, PageInfo

if TYPE_CHECKING:
    from schema.audit import AuditEntryConnection
    from schema.questions import QuestionConnection
    from schema.scan_types import BadgeAnomaly
    from schema.staff import RoomAssignment
    from schema.stats import EventStats, ExposantStats, RoomStats

# Types of the staff, questions and scan modules, which import this one.
LazyRoomAssignment = Annotated["RoomAssignment", strawberry.lazy("schema.staff")]
LazyBadgeAnomaly = Annotated["BadgeAnomaly", strawberry.lazy("schema.scan_types")]
LazyQuestionConnection = Annotated["QuestionConnection", strawberry.lazy("schema.questions")]


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


@strawberry.type(name="File", description="An uploaded document (programme, guide, stand plan).")
class File(Node):
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: datetime

    @classmethod
    def from_model(cls, f: models.StoredFile) -> File:
        assert f.id is not None
        return cls(
            id=strawberry.ID(encode("File", f.id)),
            filename=f.filename,
            content_type=f.content_type,
            size=f.size,
            sha256=f.sha256,
            uploaded_at=f.uploaded_at,
        )

    @field(
        description="Absolute path on this server (for example /files/<id>) that serves the bytes to an authorized viewer."
    )
    def url(self) -> str:
        return f"/files/{self.id}"


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
        return maybe(
            info.context.loaders.user_by_id,
            self.model.president_id,
            partial(User.from_model, event_id=self.model.id),
        )

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
        return MemberConnection(
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=page.cursors[0] if page.cursors else None,
                end_cursor=page.cursors[-1] if page.cursors else None,
            ),
            edges=[
                MemberEdge(cursor=c, node=Member.from_model(m))
                for c, m in zip(page.cursors, page.items, strict=True)
            ],
            total_count=page.total_count,
        )

    @allowed(
        *EVENT_STAFF,
        description="Staff assignments overlapping `at` (default now), or all when `at` is null and `all` is true (the most recent 500, cancelled ones included).",
    )
    def staff_assignments(
        self, info: Info, at: datetime | None = None, all: bool | None = False
    ) -> list[LazyRoomAssignment] | None:
        from schema.staff import RoomAssignment

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
    ) -> Annotated[AuditEntryConnection, strawberry.lazy("schema.audit")] | None:
        from schema.audit import AuditEntryConnection

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
    ) -> list[LazyBadgeAnomaly] | None:
        from schema.scan_types import BadgeAnomaly, RoomAccess

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
    def stats(self) -> Annotated[EventStats, strawberry.lazy("schema.stats")] | None:
        from schema.stats import EventStats

        return EventStats.for_event(self.model)


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
    def staff(self, info: Info, at: datetime | None = None) -> list[LazyRoomAssignment] | None:
        from schema.staff import RoomAssignment

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
    ) -> Annotated[RoomStats, strawberry.lazy("schema.stats")] | None:
        from schema.stats import RoomStats

        # Offsets checked first: a naive time cannot be compared with an aware one.
        from_ = None if from_ is None else aware(from_, "`from`")
        to = None if to is None else aware(to, "`to`")
        stats_resolvers.check_period(from_, to)
        event = info.context.loaders.event_by_id.load(self.model.event_id)
        assert event is not None
        return RoomStats.for_room(self.model, event, from_, to)


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
                member = info.context.loaders.member_by_id.load(access.member_id)
                assert member is not None
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
    ) -> LazyQuestionConnection | None:
        from schema.questions import QuestionConnection

        return QuestionConnection.for_session(self.model, answered, first, after)

    @allowed(
        *ROOM_STATS_RULES,
        description="Distinct members granted entry to this session, against room capacity.",
    )
    def attendance(self, info: Info) -> int | None:
        assert self.model.id is not None
        return info.context.loaders.attendance_by_session_id.load(self.model.id)


@strawberry.type(description="A member's badge, shown as a QR code at the doors and stands.")
class Badge:
    code: str = strawberry.field(
        description="The opaque code encoded in the QR image: unguessable, and useless once revoked."
    )
    revoked: bool
    issued_at: datetime

    @classmethod
    def from_model(cls, b: models.Badge) -> Badge:
        return cls(code=b.code, revoked=b.revoked_at is not None, issued_at=b.issued_at)

    @field(description="The QR code as an SVG document.")
    def qr_svg(self) -> str:
        return badge_resolvers.qr_svg(self.code)

    @field(description="The QR code as a data: URI of a PNG image.")
    def qr_png(self) -> str:
        return badge_resolvers.qr_png_data_uri(self.code)


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
        user = info.context.loaders.user_by_id.load(self.model.user_id)
        assert user is not None
        return user

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
    def current_assignment(self, info: Info) -> LazyRoomAssignment | None:
        from schema.staff import RoomAssignment

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
    def exposant_stats(
        self, info: Info
    ) -> Annotated[ExposantStats, strawberry.lazy("schema.stats")] | None:
        from schema.stats import ExposantStats

        if self.model.role != Role.EXPOSANT:
            return None
        event = info.context.loaders.event_by_id.load(self.model.event_id)
        assert event is not None
        return ExposantStats.for_member(self.model, event)


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
        user = info.context.loaders.user_by_id.load(self.model.created_by_id)
        assert user is not None
        return User.from_model(user, event_id=self.model.event_id)

    @field(description="True when the viewer may edit or delete it (only its author may).")
    def can_edit(self, info: Info) -> bool:
        return self.model.created_by_id == info.context.require_viewer().user_id


@strawberry.type
class MemberEdge:
    cursor: str
    node: Member


@strawberry.type
class MemberConnection:
    page_info: PageInfo
    edges: list[MemberEdge]
    total_count: int
