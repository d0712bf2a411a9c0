"""Root queries: the viewer, its events, and any object by id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry

import models
from kernel.errors import NotFoundError
from kernel.ids import decode, decode_any
from permissions.requirements import SIGHTS
from resolvers import events, lookup, questions
from resolvers.context import Context
from resolvers.visibility import not_found_message
from schema.annonces import Annonce
from schema.events import Event
from schema.fields import field
from schema.files import File
from schema.info import Info
from schema.members import Member
from schema.node import Node
from schema.questions import Question
from schema.rooms import Room
from schema.scans import RoomAccess, Visit
from schema.sessions import Session
from schema.staff import RoomAssignment
from schema.users import User


@dataclass(frozen=True)
class NodeKind:
    """How node(id) answers one Node type: `find` reads the row within the viewer's events
    (NOT_FOUND otherwise), its Sight (permissions/requirements.py) says whether a list shows it
    to the viewer, `show` makes the GraphQL object."""

    label: str
    find: Callable[[Context, int], Any]
    show: Callable[[Context, Any], Node]


def _own_user(ctx: Context, pk: int) -> models.User:
    viewer = ctx.require_viewer()
    if pk != viewer.user_id:
        raise NotFoundError(not_found_message("user", pk))
    return viewer.user


# Every Node type, by its name in global ids (tests/api/test_node_visibility.py walks the
# schema's Node implementations against this and SIGHTS).
NODE_KINDS: dict[str, NodeKind] = {
    "Event": NodeKind(
        "event", lambda c, pk: lookup.get_event(c, event_id=pk), lambda _c, e: Event.from_model(e)
    ),
    "Room": NodeKind(
        "room", lambda c, pk: lookup.get_room(c, room_id=pk), lambda _c, r: Room.from_model(r)
    ),
    "Session": NodeKind(
        "session",
        lambda c, pk: lookup.get_session(c, session_id=pk),
        lambda _c, s: Session.from_model(s),
    ),
    "Member": NodeKind(
        "member",
        lambda c, pk: lookup.get_member(c, member_id=pk),
        lambda _c, m: Member.from_model(m),
    ),
    "Annonce": NodeKind(
        "annonce",
        lambda c, pk: lookup.get_annonce(c, annonce_id=pk),
        lambda _c, a: Annonce.from_model(a),
    ),
    "File": NodeKind(
        "file", lambda c, pk: lookup.get_file(c, file_id=pk), lambda _c, f: File.from_model(f)
    ),
    "Question": NodeKind(
        "question",
        lambda c, pk: lookup.get_question(c, question_id=pk),
        lambda c, q: Question.from_model(q, questions.session_of(c, q)),
    ),
    "RoomAssignment": NodeKind(
        "staff assignment",
        lambda c, pk: lookup.get_assignment(c, assignment_id=pk),
        lambda _c, a: RoomAssignment.from_model(a),
    ),
    "Visit": NodeKind(
        "visit", lambda c, pk: lookup.get_visit(c, visit_id=pk), lambda _c, v: Visit.from_model(v)
    ),
    "RoomAccess": NodeKind(
        "scan",
        lambda c, pk: lookup.get_room_access(c, access_id=pk),
        lambda _c, a: RoomAccess.from_model(a),
    ),
    "User": NodeKind("user", _own_user, lambda _c, u: User.from_model(u)),
}


@strawberry.type
class CoreQuery:
    @field(description="Any object by its global id, if the viewer may know it.")
    def node(self, info: Info, id: strawberry.ID) -> Node | None:
        ctx = info.context
        ctx.require_viewer()
        decoded = decode_any(str(id))
        kind = NODE_KINDS.get(decoded[0]) if decoded is not None else None
        if decoded is None or kind is None:
            raise NotFoundError(f"Nothing has the id {id!r}.")
        type_name, pk = decoded
        found = kind.find(ctx, pk)
        if not SIGHTS[type_name].sees(ctx, found):
            # As for an id that never was: whether it exists is not the viewer's to learn.
            raise NotFoundError(not_found_message(kind.label, pk))
        return kind.show(ctx, found)

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
