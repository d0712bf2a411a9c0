"""Running the programme: events, rooms, sessions, members, badges, paid access, annonces, files."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.file_uploads import Upload

import models
from kernel.ids import decode
from permissions import Role, allowed, subjects
from permissions.requirements import MOVING_A_SESSION, NAMING_A_PRESIDENT
from permissions.rules import ADMIN, EVENT_STAFF, EXPOSANT_SELF, MEMBER_AUTHOR, SESSION_EDITORS
from resolvers import annonces, events, files, members, rooms, sessions
from resolvers.lookup import get_event
from schema.enums import AnnonceTarget, EventFileKind, PaymentStatus, SessionKind, SessionStatus
from schema.info import Info
from schema.types import Annonce, Event, File, Member, Room, Session, SessionAccess


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


@strawberry.input(description="A room's details; capacity is a positive number of people.")
class RoomInput:
    name: str
    description: str | None = ""
    location: str | None = ""
    capacity: int

    def values(self) -> rooms.RoomValues:
        return rooms.RoomValues(
            name=self.name,
            description=self.description,
            location=self.location,
            capacity=self.capacity,
        )


@strawberry.input(
    description="A session: a conference (never paid) or an atelier (paid ones have a price above 0)."
)
class SessionInput:
    room_id: strawberry.ID
    title: str
    description: str | None = ""
    speaker_name: str | None = ""
    kind: SessionKind
    is_paid: bool | None = False
    price: Decimal | None = Decimal("0")
    starts_at: datetime
    ends_at: datetime
    youtube_live_url: str | None = strawberry.field(
        default=None,
        description="A YouTube address (https://www.youtube.com/… or https://youtu.be/…).",
    )

    def values(self) -> sessions.SessionValues:
        return sessions.SessionValues(
            room_id=decode("Room", self.room_id),
            title=self.title,
            description=self.description,
            speaker_name=self.speaker_name,
            kind=self.kind,
            is_paid=self.is_paid,
            price=self.price,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            youtube_live_url=self.youtube_live_url,
        )


@strawberry.input(description="A member to add: role is one of the four event roles.")
class MemberInput:
    email: str
    full_name: str
    role: Role
    company: str | None = ""

    def values(self) -> members.MemberValues:
        return members.MemberValues(
            email=self.email, full_name=self.full_name, role=self.role, company=self.company
        )


@strawberry.type(description="A CSV line that was not imported, and why.")
class ImportRowError:
    line: int
    message: str


@strawberry.type(description="What an import did: members created, members changed, lines refused.")
class ImportReport:
    created: int
    updated: int
    errors: list[ImportRowError]

    @classmethod
    def from_report(cls, report: members.ImportReport) -> ImportReport:
        return cls(
            created=report.created,
            updated=report.updated,
            errors=[ImportRowError(line=line, message=msg) for line, msg in report.errors],
        )


def _access(info: Info, access: models.SessionAccess) -> SessionAccess:
    session = info.context.db.get(models.EventSession, access.session_id)
    member = info.context.db.get(models.Member, access.member_id)
    assert session is not None
    assert member is not None
    return SessionAccess.for_member(session, member, access)


@strawberry.type
class ProgrammeMutation:
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
        *EVENT_STAFF,
        subject=subjects.EVENT_ARG,
        description="Upload the event's programme or guide (a PDF); it replaces the previous one.",
    )
    def upload_event_file(
        self, info: Info, event_id: strawberry.ID, kind: EventFileKind, file: Upload
    ) -> File:
        stored = files.upload_event_file(
            info.context,
            event_id=decode("Event", event_id),
            kind=models.FileKind(kind.value),
            filename=file.filename,
            stream=file.file,
        )
        return File.from_model(stored)

    @allowed(
        *EVENT_STAFF,
        EXPOSANT_SELF,
        subject=subjects.MEMBER_ARG,
        description="Upload an exposant's stand plan (a PDF); it replaces the previous one.",
    )
    def upload_exposant_plan(self, info: Info, member_id: strawberry.ID, file: Upload) -> File:
        stored = files.upload_exposant_plan(
            info.context,
            member_id=decode("Member", member_id),
            filename=file.filename,
            stream=file.file,
        )
        return File.from_model(stored)

    @allowed(*EVENT_STAFF, subject=subjects.EVENT_ARG, description="Add a room to the event.")
    def create_room(self, info: Info, event_id: strawberry.ID, input: RoomInput) -> Room:
        room = rooms.create_room(
            info.context, event_id=decode("Event", event_id), values=input.values()
        )
        return Room.from_model(room)

    @allowed(*EVENT_STAFF, subject=subjects.ROOM_ARG, description="Change a room.")
    def update_room(self, info: Info, id: strawberry.ID, input: RoomInput) -> Room:
        room = rooms.update_room(info.context, room_id=decode("Room", id), values=input.values())
        return Room.from_model(room)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.ROOM_ARG,
        description="Delete a room; refused (CONFLICT) while sessions, scans or staff slots refer to it.",
    )
    def delete_room(self, info: Info, id: strawberry.ID) -> bool:
        return rooms.delete_room(info.context, room_id=decode("Room", id))

    @allowed(
        *SESSION_EDITORS,
        subject=subjects.INPUT_ROOM_ARG,
        description="Add a session to one room of the event; two sessions never overlap in a room.",
    )
    def create_session(self, info: Info, event_id: strawberry.ID, input: SessionInput) -> Session:
        session = sessions.create_session(
            info.context, event_id=decode("Event", event_id), values=input.values()
        )
        return Session.from_model(session)

    @allowed(
        *SESSION_EDITORS,
        subject=subjects.SESSION_ARG,
        requires=(MOVING_A_SESSION,),
        description="Change a session. Moving it to another room needs the same right in that room.",
    )
    def update_session(self, info: Info, id: strawberry.ID, input: SessionInput) -> Session:
        session = sessions.update_session(
            info.context, session_id=decode("Session", id), values=input.values()
        )
        return Session.from_model(session)

    @allowed(
        *SESSION_EDITORS,
        subject=subjects.SESSION_ARG,
        description="Move a session's status forward: PAS_ENCORE → EN_COURS → TERMINE.",
    )
    def set_session_status(self, info: Info, id: strawberry.ID, status: SessionStatus) -> Session:
        session = sessions.set_session_status(
            info.context, session_id=decode("Session", id), status=status
        )
        return Session.from_model(session)

    @allowed(
        *SESSION_EDITORS,
        subject=subjects.SESSION_ARG,
        description="Delete a session; refused (CONFLICT) once scanned into or paid for.",
    )
    def delete_session(self, info: Info, id: strawberry.ID) -> bool:
        return sessions.delete_session(info.context, session_id=decode("Session", id))

    @allowed(
        *EVENT_STAFF,
        subject=subjects.EVENT_ARG,
        description="Add a member with a badge; a new email creates the user (invited to set a password).",
    )
    def add_member(self, info: Info, event_id: strawberry.ID, input: MemberInput) -> Member:
        member = members.add_member(
            info.context, event_id=decode("Event", event_id), values=input.values()
        )
        return Member.from_model(member)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.EVENT_ARG,
        description="CSV with header email,full_name,role[,company]; rows that fail are reported, the others are kept.",
    )
    def import_members(self, info: Info, event_id: strawberry.ID, file: Upload) -> ImportReport:
        event = get_event(info.context, event_id=decode("Event", event_id))
        data = files.read_limited(info.context, file.file)
        report = members.import_members(info.context, event=event, data=data)
        return ImportReport.from_report(report)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.MEMBER_ARG,
        description="Revoke the member's badge: doors refuse its code from now on.",
    )
    def revoke_badge(self, info: Info, member_id: strawberry.ID) -> Member:
        member = members.revoke_badge(info.context, member_id=decode("Member", member_id))
        return Member.from_model(member)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.MEMBER_ARG,
        description="Issue the member a new badge code; the old code is refused from now on.",
    )
    def reissue_badge(self, info: Info, member_id: strawberry.ID) -> Member:
        member = members.reissue_badge(info.context, member_id=decode("Member", member_id))
        return Member.from_model(member)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.SESSION_ID_ARG,
        description="Mark a member's access to a paid atelier (no payment gateway: staff mark it).",
    )
    def set_session_access(
        self,
        info: Info,
        session_id: strawberry.ID,
        member_id: strawberry.ID,
        payment_status: PaymentStatus,
        amount_paid: Decimal | None = None,
    ) -> SessionAccess:
        access = sessions.set_session_access(
            info.context,
            session_id=decode("Session", session_id),
            member_id=decode("Member", member_id),
            payment_status=payment_status,
            amount_paid=amount_paid,
        )
        return _access(info, access)

    @allowed(
        *EVENT_STAFF,
        subject=subjects.EVENT_ARG,
        description="Publish an annonce to the event's members of the target role.",
    )
    def create_annonce(
        self,
        info: Info,
        event_id: strawberry.ID,
        title: str,
        description: str,
        target: AnnonceTarget,
    ) -> Annonce:
        annonce = annonces.create_annonce(
            info.context,
            event_id=decode("Event", event_id),
            title=title,
            description=description,
            target=target,
        )
        return Annonce.from_model(annonce)

    @allowed(
        MEMBER_AUTHOR,
        subject=subjects.ANNONCE_ARG,
        description="Change an annonce (its author only); arguments left out stay as they are.",
    )
    def update_annonce(
        self,
        info: Info,
        id: strawberry.ID,
        title: str | None = None,
        description: str | None = None,
        target: AnnonceTarget | None = None,
    ) -> Annonce:
        annonce = annonces.update_annonce(
            info.context,
            annonce_id=decode("Annonce", id),
            title=title,
            description=description,
            target=target,
        )
        return Annonce.from_model(annonce)

    @allowed(
        MEMBER_AUTHOR,
        subject=subjects.ANNONCE_ARG,
        description="Delete an annonce (its author only).",
    )
    def delete_annonce(self, info: Info, id: strawberry.ID) -> bool:
        return annonces.delete_annonce(info.context, annonce_id=decode("Annonce", id))
