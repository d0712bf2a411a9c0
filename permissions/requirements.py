"""The checks beyond a field's @allow, each declared once: what some arguments ask for
(`REQUIREMENTS`, "Further checks" in docs/permissions.md), and which objects `node(id)` returns
(`SIGHTS`, "Objects by id" there).

`node(id)` answers an object exactly when some list shows it to the viewer: each Node type has
one `Sight`, built from the rules that guard its lists. Any other object of the viewer's events
is NOT_FOUND with the message of an id that never was, so ids (sequential) cannot be probed."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import models
from permissions import subjects
from permissions.fields import Requirement
from permissions.policy import Allow, Subject, permits, plan
from permissions.rules import (
    ADMIN,
    CONTROLLER_HERE,
    EVENT_STAFF,
    EXPOSANT_STATS_RULES,
    MEMBER_SELF,
    QUESTION_READERS,
    ROOM_STATS_RULES,
    SESSION_EDITORS,
)
from resolvers.visibility import exposants_who_visited, rooms_showing

T = TypeVar("T")

# Mutation.updateEvent: the event's staff change it, but another president is the admins' call.
NAMING_A_PRESIDENT = Requirement(
    "`Mutation.updateEvent`: naming another president",
    (ADMIN,),
    "Only admins may name an event's president.",
    subjects.another_president,
)
# Mutation.updateSession: the room it moves to is judged like the room it leaves.
MOVING_A_SESSION = Requirement(
    "`Mutation.updateSession`: the room its input names",
    SESSION_EDITORS,
    "You may move a session only to a room you are assigned to right now.",
    subjects.INPUT_ROOM_ARG,
)
# Introspection (`__schema`, `__type`) where the schema is not open (production): admins only.
SCHEMA_READING = Requirement(
    "`__schema`, `__type` in production (`AGORA_ENV=production`)",
    (ADMIN,),
    "Reading the schema (__schema, __type) needs an admin's access token here; the "
    "schema is published as schema.graphql.",
)
REQUIREMENTS = (
    NAMING_A_PRESIDENT,
    MOVING_A_SESSION,
    SCHEMA_READING,
)


@dataclass(frozen=True)
class Sight(Generic[T]):
    """Who may know one Node type's objects, within the events they belong to: those to whom one
    of its lists (`lists`) shows the object. `Query.node` answers anyone else NOT_FOUND."""

    type_name: str
    # The lists that show it, and who sees it there in words (docs/permissions.md).
    lists: str
    who: str
    sees: Callable[[Any, T], bool]


def _in_event(_ctx: Any, _obj: object) -> bool:
    # Every member of the event reads these lists whole; the lookup already refused other events.
    return True


def _through(
    ctx: Any, rules: tuple[Allow, ...], event_id: int, found: Callable[[], Iterable[Subject]]
) -> bool:
    """Whether `rules` grant the viewer one of the subjects `found` reads (the objects whose
    list names the one asked for). `found` runs only when the viewer holds one of the roles."""
    viewer = ctx.require_viewer()
    granted, conditions = plan(viewer, rules, event_id)
    if not granted and not conditions:
        return False
    return any(permits(viewer, rules, subject, ctx.clock) for subject in found())


def sees_member(ctx: Any, member: models.Member) -> bool:
    """Event.members (staff), the viewer's own membership, Event.exposants (every member), an
    exposant's visits (their participants) and a room's staff and scans (the controller there)."""
    viewer = ctx.require_viewer()
    if permits(viewer, (*EVENT_STAFF, MEMBER_SELF), subjects.member_subject(member), ctx.clock):
        return True
    if member.role == models.Role.EXPOSANT:
        return True
    event_id = member.event_id
    return _through(
        ctx,
        EXPOSANT_STATS_RULES,
        event_id,
        lambda: (
            Subject(event_id=event_id, owner_member_id=exposant)
            for exposant in exposants_who_visited(ctx, member)
        ),
    ) or _through(
        ctx,
        ROOM_STATS_RULES,
        event_id,
        lambda: (Subject(event_id=event_id, room_id=room) for room in rooms_showing(ctx, member)),
    )


def _sees_assignment(ctx: Any, assignment: models.RoomAssignment) -> bool:
    viewer = ctx.require_viewer()
    subject = subjects.assignment_subject(assignment)
    if permits(viewer, EVENT_STAFF, subject, ctx.clock):
        return True  # Event.staffAssignments(all: true): every one, cancelled ones included
    if not assignment.cancelled and permits(viewer, (CONTROLLER_HERE,), subject, ctx.clock):
        return True  # Room.staff(at), at any moment the assignment covers
    if not permits(viewer, (MEMBER_SELF,), subject, ctx.clock):
        return False
    # Member.currentAssignment: the viewer's own, while it runs.
    now = ctx.clock.peek()
    ctx.clock.holds_until(
        min(
            (edge for edge in (assignment.starts_at, assignment.ends_at) if edge > now),
            default=None,
        )
    )
    return assignment.covers(now)


def _sees_question(ctx: Any, question: models.Question) -> bool:
    session = ctx.loaders.session_by_id.load(question.session_id)
    viewer = ctx.require_viewer()
    if not permits(viewer, QUESTION_READERS, subjects.session_subject(session), ctx.clock):
        return False
    return not question.is_hidden or subjects.sees_hidden_questions(ctx, session)


def _sees_file(ctx: Any, stored: models.StoredFile) -> bool:
    if stored.member_id is None:
        return True  # Event.programme, Event.guide
    owner = ctx.loaders.member_by_id.load(stored.member_id)
    return owner is not None and sees_member(ctx, owner)  # Member.plan


def _sees_visit(ctx: Any, visit: models.Visit) -> bool:
    # As Member.exposantStats, under which ExposantStats.visits lists the exposant's visits.
    return permits(
        ctx.require_viewer(), EXPOSANT_STATS_RULES, subjects.visit_subject(visit), ctx.clock
    )


def _sees_room_access(ctx: Any, access: models.RoomAccess) -> bool:
    # As Room.stats, whose scans list the room's log (the badge anomalies are the staff's).
    subject = subjects.room_access_subject(access)
    return permits(ctx.require_viewer(), ROOM_STATS_RULES, subject, ctx.clock)


def _own_user(ctx: Any, user: models.User) -> bool:
    # Other users are read through what names them (an event's president, a member's user).
    return bool(user.id == ctx.require_viewer().user_id)


def _sees_annonce(ctx: Any, annonce: models.Annonce) -> bool:
    return bool(subjects.readable_annonces(ctx, [annonce]))


EVERY_MEMBER = "every member of the event, its president and admins"
SIGHTS: dict[str, Sight[Any]] = {
    s.type_name: s
    for s in (
        Sight("Event", "`Query.events`", EVERY_MEMBER, _in_event),
        Sight("Room", "`Event.rooms`", EVERY_MEMBER, _in_event),
        Sight("Session", "`Event.sessions`, `Room.sessions`", EVERY_MEMBER, _in_event),
        Sight(
            "Annonce",
            "`Event.annonces`, `annoncePublished`",
            'by its target ("Annonces, by target" below)',
            _sees_annonce,
        ),
        Sight(
            "Member",
            "`Event.members`, `Event.myMembership`, `User.memberships`, `Event.exposants`, "
            "`ExposantStats.visits`, `Room.staff`, `RoomStats.scans`",
            "staff (admins, president, gestionnaires): all; any member: itself and the exposants; "
            "an exposant: the participants it scanned; a controller: those in the staff or the "
            "scan log of the room it holds now",
            sees_member,
        ),
        Sight(
            "File",
            "`Event.programme`, `Event.guide`, `Member.plan`",
            "the event's files: every member; a stand plan: whoever sees its exposant",
            _sees_file,
        ),
        Sight(
            "Question",
            "`Session.questions`, `questionUpdates`",
            "who reads its session's questions; a hidden one: its moderators only",
            _sees_question,
        ),
        Sight(
            "RoomAssignment",
            "`Event.staffAssignments`, `Room.staff`, `Member.currentAssignment`",
            "staff: all, cancelled ones included; the controller holding its room now: those "
            "not cancelled; its member: while it runs",
            _sees_assignment,
        ),
        Sight(
            "Visit",
            "`ExposantStats.visits`",
            "staff; the exposant who scanned",
            _sees_visit,
        ),
        Sight(
            "RoomAccess",
            "`RoomStats.scans`, `Event.badgeAnomalies`, `scanBadge`",
            "staff; the controller holding its room now",
            _sees_room_access,
        ),
        Sight("User", "`Query.me`", "the viewer alone", _own_user),
    )
}
