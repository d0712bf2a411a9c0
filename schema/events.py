"""Events (the `Event` type): creating one and naming its president, changing its details.

The top of the schema's domains: an event lists its rooms, programme, members, annonces, staff,
audit log, badge anomalies and stats, so this module imports theirs; the types below name
`Event` lazily (`schema/lazy.py`).
"""

from __future__ import annotations

from datetime import datetime

import strawberry

import models
from kernel.ids import decode, encode, optional_pk
from permissions import Role, Subject, allowed, subjects
from permissions.requirements import NAMING_A_PRESIDENT
from permissions.routes import PROGRAMME_ICS
from permissions.rules import ADMIN, EVENT_STAFF, EVENT_STATS_RULES, ORGANIZER
from resolvers import anomalies as anomaly_resolvers
from resolvers import audit as audit_resolvers
from resolvers import calendar, events
from resolvers import members as member_resolvers
from resolvers import staff as staff_resolvers
from schema.annonces import Annonce
from schema.audit import AuditEntryConnection
from schema.enums import SessionKind, SessionStatus
from schema.fields import field
from schema.files import File
from schema.info import Info
from schema.members import Member, MemberConnection
from schema.node import Node
from schema.rooms import Room
from schema.scans import BadgeAnomaly, RoomAccess
from schema.sessions import Session
from schema.staff import RoomAssignment
from schema.stats import EventStats
from schema.users import User, event_user


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
        return event_user(info, self.model.president_id, self.model.id)

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

    @field(
        description=(
            "Absolute path of the programme as an iCalendar feed (RFC 5545), for the viewer's "
            "calendar app: its `token` opens this one feed for this viewer and nothing else, "
            "read-only, until rotateCalendarToken replaces it. Never an access token."
        )
    )
    def ical_url(self, info: Info) -> str:
        token = calendar.feed_token(info.context, self.model)
        return f"/events/{self.id}/programme.ics?token={token}"

    @allowed(
        *EVENT_STATS_RULES,
        description="Members, entries, scans by hour and each session's attendance.",
    )
    def stats(self) -> EventStats | None:
        return EventStats.for_event(self.model)


@strawberry.input(
    description="An event's details. presidentEmail names its president (admins only)."
)
class EventInput:
    name: str
    description: str | None = ""
    location: str | None = ""
    starts_at: datetime
    ends_at: datetime
    timezone: str | None = "UTC"
    president_email: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The president's email; a new email creates the user (invited to set a password).",
    )

    def values(self) -> events.EventValues:
        email = self.president_email if self.president_email is not strawberry.UNSET else None
        return events.EventValues(
            name=self.name,
            description=self.description,
            location=self.location,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            timezone=self.timezone,
            president_email=email or None,
        )


@strawberry.type
class EventMutation:
    @allowed(
        ADMIN, subject=subjects.no_event, description="Create an event and name its president."
    )
    def create_event(self, info: Info, input: EventInput) -> Event:
        return Event.from_model(events.create_event(info.context, values=input.values()))

    @allowed(
        *EVENT_STAFF,
        subject=subjects.EVENT_ID_ARG,
        requires=(NAMING_A_PRESIDENT,),
        description="Change an event. Only admins may name another president.",
    )
    def update_event(self, info: Info, id: strawberry.ID, input: EventInput) -> Event:
        event = events.update_event(
            info.context, event_id=decode("Event", id), values=input.values()
        )
        return Event.from_model(event)

    @allowed(
        *PROGRAMME_ICS.rules,
        subject=subjects.EVENT_ARG,
        description=(
            "A new token in the viewer's calendar feed of the event (icalUrl): the address "
            "with the old one stops working at once."
        ),
    )
    def rotate_calendar_token(self, info: Info, event_id: strawberry.ID) -> Event | None:
        event = calendar.rotate_feed_token(info.context, event_id=decode("Event", event_id))
        return Event.from_model(event)
