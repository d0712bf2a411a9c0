"""Sessions: the programme's conferences and ateliers, their status, and members' paid access."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

import models
from kernel.ids import decode
from permissions import allowed, subjects
from permissions.requirements import MOVING_A_SESSION
from permissions.rules import EVENT_STAFF, SESSION_EDITORS
from resolvers import sessions
from schema.enums import PaymentStatus, SessionKind, SessionStatus
from schema.info import Info
from schema.types import Session, SessionAccess


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
