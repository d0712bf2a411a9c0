"""Root queries: the viewer, its events, and any object by id."""

from __future__ import annotations

import strawberry

from kernel.errors import NotFoundError
from kernel.ids import decode, decode_any
from permissions import subjects
from permissions.requirements import ASSIGNMENT_BY_ID, QUESTION_BY_ID
from resolvers import events, lookup, questions
from resolvers.context import Context
from schema.annonces import Annonce
from schema.events import Event
from schema.fields import field
from schema.files import File
from schema.info import Info
from schema.members import Member
from schema.node import Node
from schema.questions import Question
from schema.rooms import Room
from schema.sessions import Session
from schema.staff import RoomAssignment
from schema.users import User


def _assignment(ctx: Context, pk: int) -> RoomAssignment:
    assignment = lookup.get_assignment(ctx, assignment_id=pk)
    ASSIGNMENT_BY_ID.check(ctx, subjects.assignment_subject(assignment))
    return RoomAssignment.from_model(assignment)


def _question(ctx: Context, pk: int) -> Question:
    """One question by id, for whoever may read its session's questions."""
    q = lookup.get_question(ctx, question_id=pk)
    session = questions.session_of(ctx, q)
    QUESTION_BY_ID.check(ctx, subjects.session_subject(session))
    if q.is_hidden and not subjects.sees_hidden_questions(ctx, session):
        raise NotFoundError(f"No question has the id {pk}.")
    return Question.from_model(q, session)


# Node types reachable through node(id): type name -> loader of a visible object.
NODE_LOADERS = {
    "Event": lambda ctx, pk: Event.from_model(lookup.get_event(ctx, event_id=pk)),
    "Room": lambda ctx, pk: Room.from_model(lookup.get_room(ctx, room_id=pk)),
    "Session": lambda ctx, pk: Session.from_model(lookup.get_session(ctx, session_id=pk)),
    "Member": lambda ctx, pk: Member.from_model(lookup.get_member(ctx, member_id=pk)),
    "Annonce": lambda ctx, pk: Annonce.from_model(lookup.get_annonce(ctx, annonce_id=pk)),
    "File": lambda ctx, pk: File.from_model(lookup.get_file(ctx, file_id=pk)),
    "RoomAssignment": _assignment,
    "Question": _question,
}


@strawberry.type
class CoreQuery:
    @field(description="Any object by its global id, if the viewer may know it.")
    def node(self, info: Info, id: strawberry.ID) -> Node | None:
        viewer = info.context.require_viewer()
        decoded = decode_any(str(id))
        if decoded is not None and decoded[0] == "User" and decoded[1] == viewer.user_id:
            return User.from_model(viewer.user)
        if decoded is None or decoded[0] not in NODE_LOADERS:
            raise NotFoundError(f"Nothing has the id {id!r}.")
        return NODE_LOADERS[decoded[0]](info.context, decoded[1])

    @field(description="The authenticated viewer, or null.")
    def me(self, info: Info) -> User | None:
        viewer = info.context.viewer
        return User.from_model(viewer.user) if viewer is not None else None

    @field(description="Events the viewer belongs to or presides (all events for ADMIN).")
    def events(self, info: Info) -> list[Event]:
        return [Event.from_model(e) for e in events.list_events(info.context)]

    @strawberry.field
    def event(self, info: Info, id: strawberry.ID) -> Event | None:
        return Event.from_model(lookup.get_event(info.context, event_id=decode("Event", id)))

    @strawberry.field
    def room(self, info: Info, id: strawberry.ID) -> Room | None:
        return Room.from_model(lookup.get_room(info.context, room_id=decode("Room", id)))

    @strawberry.field
    def session(self, info: Info, id: strawberry.ID) -> Session | None:
        return Session.from_model(
            lookup.get_session(info.context, session_id=decode("Session", id))
        )
