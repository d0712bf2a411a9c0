"""What the policy knows of each kind of object, and how operations find theirs from arguments.

Types call `<kind>_subject(model)`; operations pass `subject=by_id(...)` to `allowed(...)`,
which loads the object (NOT_FOUND outside the viewer's events) before the check runs. The row
stays in the session's identity map, so the resolver's own `db.get` costs no second query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import models
from kernel.errors import BadUserInputError, NotFoundError
from kernel.ids import decode
from permissions.fields import SubjectFinder
from permissions.policy import Allow, Subject, permits
from permissions.rules import ANNONCE_READERS, QUESTION_MODERATORS
from resolvers.visibility import event_of_room, visible_event, visible_in_event


def event_subject(event: models.Event) -> Subject:
    return Subject(event_id=event.id)


def file_subject(stored: models.StoredFile) -> Subject:
    return Subject(event_id=stored.event_id)


def room_subject(room: models.Room) -> Subject:
    return Subject(event_id=room.event_id, room_id=room.id)


def session_subject(session: models.EventSession) -> Subject:
    return Subject(event_id=session.event_id, room_id=session.room_id, session=session)


def member_subject(member: models.Member) -> Subject:
    return Subject(event_id=member.event_id, owner_member_id=member.id, member_id=member.id)


def visit_subject(visit: models.Visit) -> Subject:
    # A visit belongs to the exposant who scanned: SELF is that exposant.
    return Subject(event_id=visit.event_id, owner_member_id=visit.exposant_id)


def room_access_subject(access: models.RoomAccess) -> Subject:
    return Subject(event_id=access.event_id, room_id=access.room_id)


def annonce_subject(annonce: models.Annonce) -> Subject:
    return Subject(event_id=annonce.event_id, author_user_id=annonce.created_by_id)


def assignment_subject(assignment: models.RoomAssignment) -> Subject:
    return Subject(
        event_id=assignment.event_id,
        room_id=assignment.room_id,
        owner_member_id=assignment.member_id,
        member_id=assignment.member_id,
    )


def question_subject(question: models.Question, session: models.EventSession) -> Subject:
    """A question is judged in its session (access, room) and owned by its author."""
    return Subject(
        event_id=question.event_id,
        room_id=session.room_id,
        session=session,
        author_member_id=question.author_id,
    )


def question_author_subject(question: models.Question, session: models.EventSession) -> Subject:
    """Who asked: the question's subject, anonymous when the asker chose so."""
    return replace(question_subject(question, session), anonymous=question.is_anonymous)


def sees_hidden_questions(ctx: Any, session: models.EventSession) -> bool:
    return permits(ctx.require_viewer(), QUESTION_MODERATORS, session_subject(session), ctx.clock)


def _question_by(argument: str) -> SubjectFinder:
    def find(ctx: Any, _source: Any, kwargs: dict[str, Any]) -> Subject:
        pk = decode("Question", kwargs[argument])
        question = visible_in_event(ctx, models.Question, pk, "question")
        session = ctx.loaders.session_by_id.load(question.session_id)
        if question.is_hidden and not sees_hidden_questions(ctx, session):
            # Hidden from this viewer: as if it did not exist.
            raise NotFoundError(f"No question has the id {pk}.")
        return question_subject(question, session)

    return find


def another_president(ctx: Any, _source: Any, kwargs: dict[str, Any]) -> Subject | None:
    """Naming, in updateEvent's input, a president other than the event's own: a decision
    outside any event (only the platform's admins take it). None when the input keeps it."""
    email = getattr(kwargs["input"], "president_email", None)
    if not isinstance(email, str) or not email:
        return None
    event = ctx.db.get(models.Event, decode("Event", kwargs["id"]))
    president = (
        ctx.db.get(models.User, event.president_id)
        if event is not None and event.president_id is not None
        else None
    )
    if president is not None and president.email == email.strip().lower():
        return None
    return Subject(event_id=None)


def readable_annonces(ctx: Any, annonces: Iterable[models.Annonce]) -> list[models.Annonce]:
    """The annonces whose target the viewer reads (ANNONCE_READERS), in the order given."""
    viewer = ctx.require_viewer()
    return [
        a
        for a in annonces
        if permits(viewer, ANNONCE_READERS[a.target], annonce_subject(a), ctx.clock)
    ]


def _assignment_arg(ctx: Any, _source: Any, kwargs: dict[str, Any]) -> Subject:
    pk = decode("RoomAssignment", kwargs["id"])
    return assignment_subject(visible_in_event(ctx, models.RoomAssignment, pk, "staff assignment"))


def by_id(
    type_name: str,
    model: type[Any],
    argument: Callable[[dict[str, Any]], Any],
    to_subject: Callable[[Any], Subject],
) -> SubjectFinder:
    """A finder that decodes the global id `argument(kwargs)` of `type_name` and loads the row."""
    label = type_name.lower()

    def find(ctx: Any, _source: Any, kwargs: dict[str, Any]) -> Subject:
        pk = decode(type_name, argument(kwargs))
        if model is models.Event:
            return to_subject(visible_event(ctx, pk))
        return to_subject(visible_in_event(ctx, model, pk, label))

    return find


def arg(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda kwargs: kwargs[name]


# The finders most operations need.
EVENT_ARG = by_id("Event", models.Event, arg("event_id"), event_subject)
ROOM_ARG = by_id("Room", models.Room, arg("id"), room_subject)
SESSION_ARG = by_id("Session", models.EventSession, arg("id"), session_subject)
MEMBER_ARG = by_id("Member", models.Member, arg("member_id"), member_subject)


VISIT_ARG = by_id("Visit", models.Visit, arg("visit_id"), visit_subject)
VISIT_ID_ARG = by_id("Visit", models.Visit, arg("id"), visit_subject)


def _scan_input_room(ctx: Any, _source: Any, kwargs: dict[str, Any]) -> Subject:
    room_id = decode("Room", kwargs["input"].room_id)
    return Subject(event_id=event_of_room(ctx, room_id), room_id=room_id)


SCAN_INPUT_ROOM: SubjectFinder = _scan_input_room


def scan_batch(rules: tuple[Allow, ...]) -> SubjectFinder:
    """The subject of a batch of offline scans: the room of its first scan that `rules` allow as
    of that scan's own time (each scan is then checked on its own); when none is allowed, the
    first scan's room, so the call is refused."""

    def find(ctx: Any, _source: Any, kwargs: dict[str, Any]) -> Subject:
        scans = kwargs["scans"]
        if not scans:
            raise BadUserInputError("Send at least one scan to sync.")
        refused: Subject | None = None
        for scan in scans:
            if scan.scanned_at is not None and scan.scanned_at.utcoffset() is None:
                continue  # refused on its own by the resolver: no moment to judge it at
            try:
                room = visible_in_event(ctx, models.Room, decode("Room", scan.room_id), "room")
            except NotFoundError:
                continue
            seen = scan.scanned_at or ctx.now
            subject = replace(room_subject(room), at=min(seen, ctx.now))
            if permits(ctx.require_viewer(), rules, subject, ctx.now):
                return subject
            refused = refused or subject
        if refused is None:
            raise NotFoundError("None of these scans names a room of your events.")
        return refused

    return find


def no_event(_ctx: Any, _source: Any, _kwargs: dict[str, Any]) -> Subject:
    """Operations outside any event (creating one): only platform-wide roles can match."""
    return Subject(event_id=None)


EVENT_ID_ARG = by_id("Event", models.Event, arg("id"), event_subject)
INPUT_ROOM_ARG = by_id("Room", models.Room, lambda kwargs: kwargs["input"].room_id, room_subject)
SESSION_ID_ARG = by_id("Session", models.EventSession, arg("session_id"), session_subject)
ROOM_ID_ARG = by_id("Room", models.Room, arg("room_id"), room_subject)
ANNONCE_ARG = by_id("Annonce", models.Annonce, arg("id"), annonce_subject)
ASSIGNMENT_ARG: SubjectFinder = _assignment_arg
QUESTION_ARG: SubjectFinder = _question_by("question_id")
QUESTION_ID_ARG: SubjectFinder = _question_by("id")
