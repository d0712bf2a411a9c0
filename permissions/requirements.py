"""The checks beyond a field's @allow, each declared once: what some arguments ask for, and
what `node(id)` returns of kinds read under rules of their own. docs/permissions.md lists them
under "Further checks" (`REQUIREMENTS`)."""

from __future__ import annotations

from permissions import subjects
from permissions.fields import Requirement
from permissions.rules import ADMIN, ASSIGNMENT_READERS, QUESTION_READERS, SESSION_EDITORS

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
# Query.node: a question, judged in its session, as Session.questions lists it.
QUESTION_BY_ID = Requirement(
    "`Query.node`: a `Question`, judged in its session",
    QUESTION_READERS,
    "Only staff and members with access to the session read its questions.",
)
# Query.node: a staff assignment, for whoever may list it (Room.staff, Member.currentAssignment).
ASSIGNMENT_BY_ID = Requirement(
    "`Query.node`: a `RoomAssignment`",
    ASSIGNMENT_READERS,
    "Only staff and the assigned member may read this assignment.",
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
    QUESTION_BY_ID,
    ASSIGNMENT_BY_ID,
    SCHEMA_READING,
)
