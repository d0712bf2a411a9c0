"""Sessions: the programme's conferences and ateliers (the `Session` type), their status, and
members' paid access (`SessionAccess`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

import models
from kernel.ids import decode, encode
from permissions import Subject, allowed, subjects
from permissions.requirements import MOVING_A_SESSION
from permissions.rules import (
    EVENT_STAFF,
    MEMBER_WITH_ACCESS,
    QUESTION_READERS,
    ROOM_STATS_RULES,
    SESSION_EDITORS,
)
from resolvers import sessions
from schema.enums import PaymentStatus, SessionKind, SessionStatus
from schema.fields import field
from schema.info import Info
from schema.lazy import LazyClass
from schema.loading import one, required
from schema.members import Member
from schema.node import Node

if TYPE_CHECKING:
    from schema.events import Event
    from schema.questions import QuestionConnection
    from schema.rooms import Room

_event: LazyClass[Event] = LazyClass("Event", strawberry.lazy("schema.events"))
_room: LazyClass[Room] = LazyClass("Room", strawberry.lazy("schema.rooms"))
_questions: LazyClass[QuestionConnection] = LazyClass(
    "QuestionConnection", strawberry.lazy("schema.questions")
)


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
    def event(self, info: Info) -> Annotated[Event, strawberry.lazy("schema.events")]:
        return one(info.context.loaders.event_by_id, self.model.event_id, _event().from_model)

    @strawberry.field
    def room(self, info: Info) -> Annotated[Room, strawberry.lazy("schema.rooms")]:
        return one(info.context.loaders.room_by_id, self.model.room_id, _room().from_model)

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
    ) -> Annotated[QuestionConnection, strawberry.lazy("schema.questions")] | None:
        return _questions().for_session(self.model, answered, first, after)

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


def _access(info: Info, access: models.SessionAccess) -> SessionAccess:
    session = info.context.db.get(models.EventSession, access.session_id)
    member = info.context.db.get(models.Member, access.member_id)
    assert session is not None
    assert member is not None
    return SessionAccess.for_member(session, member, access)


@strawberry.type
class SessionMutation:
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
