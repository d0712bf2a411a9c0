"""Every @allow in the schema, proved through the API against every kind of viewer.

The test walks the served schema for fields and operations carrying @allow. Each must have a
probe here (a request that reaches it, and what its object is); a new @allow field without one
fails `test_every_allow_field_has_a_probe`. For each probe and each persona, the expected
answer comes from an oracle written from the contract's words (role held, and the condition
true or false for that persona and that object), independent of the server's policy code.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

import models
from models import AnnonceTarget, PaymentStatus, Role, SessionKind
from permissions.fields import rules_of
from permissions.roles import Condition
from schema import schema
from tests.api.conftest import Uploader, minimal_pdf
from tests.conftest import error_codes
from tests.factories import Factory, gid


@dataclass(frozen=True)
class Persona:
    name: str
    admin: bool = False
    president: bool = False
    role: Role | None = None


PERSONAS = [
    Persona("admin", admin=True),
    Persona("president", president=True),
    Persona("gestionnaire_here", role=Role.GESTIONNAIRE_DES_SALLES),
    Persona("gestionnaire_away", role=Role.GESTIONNAIRE_DES_SALLES),
    Persona("controller_here", role=Role.CONTROLLEUR_DES_BADGES),
    Persona("controller_away", role=Role.CONTROLLEUR_DES_BADGES),
    Persona("participant_paid", role=Role.PARTICIPANT),
    Persona("participant_unpaid", role=Role.PARTICIPANT),
    Persona("exposant_scanner", role=Role.EXPOSANT),
    Persona("exposant_other", role=Role.EXPOSANT),
]
# Facts of the world below, stated once: who is assigned to the room now, who may attend the
# paid atelier, who scanned the participant.
ASSIGNED_HERE = {"gestionnaire_here", "controller_here"}
ATTENDS_PAID_ATELIER = {"participant_paid"}


@dataclass
class World:
    event: models.Event
    room: models.Room
    other_room: models.Room
    atelier: models.EventSession
    members: dict[str, models.Member]
    users: dict[str, models.User]
    annonce: models.Annonce
    question: models.Question
    visit: models.Visit
    assignment: models.RoomAssignment
    extra: dict[str, Any] = field(default_factory=dict)


def build_world(factory: Factory) -> World:
    now = factory.now
    users = {p.name: factory.user(name=p.name, admin=p.admin) for p in PERSONAS}
    event = factory.event(president=users["president"])
    room = factory.room(event, name="Salle 3", capacity=10)
    other_room = factory.room(event, name="Salle 4", capacity=10)
    atelier = factory.session(
        room,
        kind=SessionKind.ATELIER,
        price=Decimal("20"),
        youtube_live_url="https://youtu.be/a",
        starts_at=now - timedelta(minutes=10),
    )
    members = {
        p.name: factory.member(event, p.role, user=users[p.name])
        for p in PERSONAS
        if p.role is not None
    }
    assignment = factory.assignment(members["gestionnaire_here"], room)
    factory.assignment(members["controller_here"], room)
    factory.assignment(members["gestionnaire_away"], other_room)
    factory.assignment(members["controller_away"], other_room)
    # An assignment that ended an hour ago does not count.
    factory.assignment(
        members["controller_away"],
        room,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )
    factory.access(atelier, members["participant_paid"], PaymentStatus.PAID)
    factory.access(atelier, members["participant_unpaid"], PaymentStatus.PENDING)
    annonce = factory.annonce(event, users["gestionnaire_here"], AnnonceTarget.ALL)
    question = factory.question(atelier, members["participant_paid"])
    visit = factory.visit(members["exposant_scanner"], members["participant_paid"])
    world = World(
        event, room, other_room, atelier, members, users, annonce, question, visit, assignment
    )
    # A question in a free conference, which every member may read: Question.author's own rules.
    conference = factory.session(other_room, starts_at=now + timedelta(hours=2))
    world.extra["open_question"] = factory.question(conference, members["participant_paid"])
    return world


@dataclass(frozen=True)
class Target:
    """The object a probed field belongs to, as the contract's conditions see it."""

    owner: str | None = None
    room_assigned: frozenset[str] = frozenset()
    attendees: frozenset[str] = frozenset()
    author: str | None = None
    scanned_by: frozenset[str] = frozenset()
    # Personas to whom no list shows the object: node(id) answers them NOT_FOUND, as for an id
    # that never was (tests/api/test_node_visibility.py), so its fields are never reached.
    hidden_from: frozenset[str] = frozenset()


def expected_allowed(persona: Persona, rules: list[tuple[Role, Condition]], target: Target) -> bool:
    for role, when in rules:
        if role == Role.ADMIN:
            holds = persona.admin
        elif role == Role.ORGANIZER:
            holds = persona.president
        elif role == Role.MEMBER:
            # Anyone who belongs to the event: its members, its president, admins.
            holds = persona.role is not None or persona.president or persona.admin
        else:
            holds = persona.role == role
        condition = {
            Condition.ALWAYS: True,
            Condition.SELF: persona.name == target.owner,
            Condition.ASSIGNED_TO_ROOM: persona.name in target.room_assigned,
            Condition.HAS_SESSION_ACCESS: persona.name in target.attendees,
            Condition.AUTHOR: persona.name == target.author,
            Condition.SCANNED_BY_ME: persona.name in target.scanned_by,
        }[when]
        if holds and condition:
            return True
    return False


@dataclass(frozen=True)
class Probe:
    query: str
    variables: Callable[[World], dict[str, Any]]
    target: Target
    subscription: bool = False
    # For uploads: (variable name, filename, bytes), sent as a GraphQL multipart request.
    upload: tuple[str, str, bytes] | None = None


def node_probe(
    fragment: str, type_name: str, pick: Callable[[World], Any], target: Target
) -> Probe:
    return Probe(
        query=f"query($id: ID!) {{ node(id: $id) {{ ... on {type_name} {{ {fragment} }} }} }}",
        variables=lambda w: {"id": gid(type_name, pick(w))},
        target=target,
    )


# Who sees a participant's membership: staff, the participant, the exposant who scanned it.
PARTICIPANT_DATA = Target(
    owner="participant_paid",
    scanned_by=frozenset({"exposant_scanner"}),
    hidden_from=frozenset(
        {"controller_here", "controller_away", "participant_unpaid", "exposant_other"}
    ),
)
# Who sees the controller's membership: staff and the controller (no one else holds its room).
CONTROLLER_DATA = Target(
    owner="controller_here",
    hidden_from=frozenset(
        {
            "controller_away",
            "participant_paid",
            "participant_unpaid",
            "exposant_scanner",
            "exposant_other",
        }
    ),
)
ROOM = Target(room_assigned=frozenset(ASSIGNED_HERE))
ATELIER = Target(room_assigned=frozenset(ASSIGNED_HERE), attendees=frozenset(ATTENDS_PAID_ATELIER))
EVENT = Target()


def operation_probe(
    operation: str, variables: Callable[[World], dict[str, Any]], target: Target
) -> Probe:
    return Probe(query=f"mutation{operation}", variables=variables, target=target)


def _iso(delta: timedelta) -> str:
    return (models.utcnow() + delta).isoformat()


PROBES: dict[str, Probe] = {
    "User.email": node_probe(
        "user { email }", "Member", lambda w: w.members["participant_paid"], PARTICIPANT_DATA
    ),
    "User.memberships": node_probe(
        "user { memberships { id } }",
        "Member",
        lambda w: w.members["participant_paid"],
        PARTICIPANT_DATA,
    ),
    "Event.members": node_probe("members { totalCount }", "Event", lambda w: w.event, EVENT),
    "Event.auditLog": node_probe("auditLog { totalCount }", "Event", lambda w: w.event, EVENT),
    "Event.badgeAnomalies": node_probe(
        "badgeAnomalies { member { id } }", "Event", lambda w: w.event, EVENT
    ),
    "Session.youtubeLiveUrl": node_probe("youtubeLiveUrl", "Session", lambda w: w.atelier, ATELIER),
    "Member.email": node_probe(
        "email", "Member", lambda w: w.members["participant_paid"], PARTICIPANT_DATA
    ),
    "Member.badge": node_probe(
        "badge { code }", "Member", lambda w: w.members["participant_paid"], PARTICIPANT_DATA
    ),
    "Member.currentAssignment": node_probe(
        "currentAssignment { id }",
        "Member",
        lambda w: w.members["controller_here"],
        CONTROLLER_DATA,
    ),
    "Event.staffAssignments": node_probe(
        "staffAssignments { id }", "Event", lambda w: w.event, EVENT
    ),
    "Room.staff": node_probe("staff { id }", "Room", lambda w: w.room, ROOM),
    "Session.questions": node_probe(
        "questions { totalCount }", "Session", lambda w: w.atelier, ATELIER
    ),
    "Question.author": node_probe(
        "author { id }",
        "Question",
        lambda w: w.extra["open_question"],
        Target(author="participant_paid"),
    ),
    "Mutation.assignStaff": operation_probe(
        "($input: StaffAssignmentInput!) { assignStaff(input: $input) { id } }",
        lambda w: {
            "input": {
                "memberId": gid("Member", w.members["controller_here"]),
                "roomId": gid("Room", w.other_room),
                "startsAt": _iso(timedelta(days=1)),
                "endsAt": _iso(timedelta(days=1, hours=2)),
            }
        },
        EVENT,
    ),
    "Mutation.reassignStaff": operation_probe(
        "($m: ID!, $r: ID!, $u: DateTime!) { reassignStaff(memberId: $m, roomId: $r, until: $u) { id } }",
        lambda w: {
            "m": gid("Member", w.members["controller_here"]),
            "r": gid("Room", w.other_room),
            "u": _iso(timedelta(hours=4)),
        },
        EVENT,
    ),
    "Mutation.endAssignment": operation_probe(
        "($id: ID!) { endAssignment(id: $id) { id } }",
        lambda w: {"id": gid("RoomAssignment", w.assignment)},
        EVENT,
    ),
    "Mutation.askQuestion": operation_probe(
        '($s: ID!) { askQuestion(sessionId: $s, text: "Et le prix ?") { id } }',
        lambda w: {"s": gid("Session", w.atelier)},
        ATELIER,
    ),
    "Mutation.answerQuestion": operation_probe(
        '($q: ID!) { answerQuestion(questionId: $q, answer: "Vingt euros.") { id } }',
        lambda w: {"q": gid("Question", w.question)},
        ATELIER,
    ),
    "Mutation.moderateQuestion": operation_probe(
        "($q: ID!) { moderateQuestion(id: $q, action: PIN) { id } }",
        lambda w: {"q": gid("Question", w.question)},
        ATELIER,
    ),
    "Mutation.upvoteQuestion": operation_probe(
        "($q: ID!) { upvoteQuestion(questionId: $q) { id } }",
        lambda w: {"q": gid("Question", w.question)},
        ATELIER,
    ),
    "Member.exposantStats": node_probe(
        "exposantStats { totalVisits }",
        "Member",
        lambda w: w.members["exposant_scanner"],
        Target(owner="exposant_scanner"),
    ),
    "Room.stats": node_probe("stats { totalScans }", "Room", lambda w: w.room, ROOM),
    "Session.attendance": node_probe("attendance", "Session", lambda w: w.atelier, ROOM),
    "Event.stats": node_probe("stats { totalScans }", "Event", lambda w: w.event, EVENT),
    "Mutation.scanBadge": Probe(
        'mutation($r: ID!) { scanBadge(input: {roomId: $r, code: "AGB-probe"}) { status } }',
        lambda w: {"r": gid("Room", w.room)},
        ROOM,
    ),
    "Mutation.syncScans": Probe(
        'mutation($r: ID!) { syncScans(scans: [{roomId: $r, code: "AGB-probe"}]) { accepted } }',
        lambda w: {"r": gid("Room", w.room)},
        ROOM,
    ),
    "Mutation.scanVisitor": Probe(
        'mutation($e: ID!) { scanVisitor(eventId: $e, code: "AGB-probe") { id } }',
        lambda w: {"e": gid("Event", w.event)},
        EVENT,
    ),
    "Mutation.setContactSharing": Probe(
        "mutation($e: ID!) { setContactSharing(eventId: $e, share: true) { id } }",
        lambda w: {"e": gid("Event", w.event)},
        EVENT,
    ),
    "Mutation.updateVisit": Probe(
        "mutation($v: ID!) { updateVisit(id: $v, input: {rating: 3}) { id } }",
        lambda w: {"v": gid("Visit", w.visit)},
        Target(owner="exposant_scanner"),
    ),
    "Mutation.updateVisitNote": Probe(
        'mutation($v: ID!) { updateVisitNote(visitId: $v, note: "n") { id } }',
        lambda w: {"v": gid("Visit", w.visit)},
        Target(owner="exposant_scanner"),
    ),
    "Subscription.annoncePublished": Probe(
        "subscription($id: ID!) { annoncePublished(eventId: $id) { id } }",
        lambda w: {"id": gid("Event", w.event)},
        EVENT,
        subscription=True,
    ),
}


def _event_input(w: World) -> dict[str, Any]:
    return {
        "name": "Salon",
        "startsAt": w.event.starts_at.isoformat(),
        "endsAt": w.event.ends_at.isoformat(),
    }


def _session_input(w: World, room: models.Room) -> dict[str, Any]:
    start = models.utcnow() + timedelta(days=1, hours=3)
    return {
        "roomId": gid("Room", room),
        "title": "Nouvelle session",
        "kind": "CONFERENCE",
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(hours=1)).isoformat(),
    }


CSV = b"email,full_name,role\nnew.person@example.org,New Person,PARTICIPANT\n"
ROOM_INPUT = {"name": "Salle 9", "capacity": 12}
ANNONCE_AUTHOR = Target(author="gestionnaire_here")

PROGRAMME_PROBES: dict[str, Probe] = {
    "Session.accessList": node_probe(
        "accessList { paymentStatus }", "Session", lambda w: w.atelier, EVENT
    ),
    "Mutation.createEvent": operation_probe(
        "($i: EventInput!) { createEvent(input: $i) { id } }",
        lambda w: {"i": _event_input(w)},
        EVENT,
    ),
    "Mutation.updateEvent": operation_probe(
        "($id: ID!, $i: EventInput!) { updateEvent(id: $id, input: $i) { id } }",
        lambda w: {"id": gid("Event", w.event), "i": _event_input(w)},
        EVENT,
    ),
    "Mutation.rotateCalendarToken": operation_probe(
        "($id: ID!) { rotateCalendarToken(eventId: $id) { id } }",
        lambda w: {"id": gid("Event", w.event)},
        EVENT,
    ),
    "Mutation.uploadEventFile": Probe(
        "mutation($e: ID!, $f: Upload!) { uploadEventFile(eventId: $e, kind: PROGRAMME, file: $f) { id } }",
        lambda w: {"e": gid("Event", w.event)},
        EVENT,
        upload=("f", "programme.pdf", minimal_pdf()),
    ),
    "Mutation.uploadExposantPlan": Probe(
        "mutation($m: ID!, $f: Upload!) { uploadExposantPlan(memberId: $m, file: $f) { id } }",
        lambda w: {"m": gid("Member", w.members["exposant_scanner"])},
        Target(owner="exposant_scanner"),
        upload=("f", "plan.pdf", minimal_pdf()),
    ),
    "Mutation.createRoom": operation_probe(
        "($e: ID!, $i: RoomInput!) { createRoom(eventId: $e, input: $i) { id } }",
        lambda w: {"e": gid("Event", w.event), "i": ROOM_INPUT},
        EVENT,
    ),
    "Mutation.updateRoom": operation_probe(
        "($id: ID!, $i: RoomInput!) { updateRoom(id: $id, input: $i) { id } }",
        lambda w: {"id": gid("Room", w.other_room), "i": ROOM_INPUT},
        EVENT,
    ),
    "Mutation.deleteRoom": operation_probe(
        "($id: ID!) { deleteRoom(id: $id) }", lambda w: {"id": gid("Room", w.other_room)}, EVENT
    ),
    "Mutation.createSession": operation_probe(
        "($e: ID!, $i: SessionInput!) { createSession(eventId: $e, input: $i) { id } }",
        lambda w: {"e": gid("Event", w.event), "i": _session_input(w, w.room)},
        ROOM,
    ),
    "Mutation.updateSession": operation_probe(
        "($id: ID!, $i: SessionInput!) { updateSession(id: $id, input: $i) { id } }",
        lambda w: {"id": gid("Session", w.atelier), "i": _session_input(w, w.room)},
        ROOM,
    ),
    "Mutation.setSessionStatus": operation_probe(
        "($id: ID!) { setSessionStatus(id: $id, status: EN_COURS) { id } }",
        lambda w: {"id": gid("Session", w.atelier)},
        ROOM,
    ),
    "Mutation.deleteSession": operation_probe(
        "($id: ID!) { deleteSession(id: $id) }", lambda w: {"id": gid("Session", w.atelier)}, ROOM
    ),
    "Mutation.addMember": operation_probe(
        '($e: ID!) { addMember(eventId: $e, input: {email: "new@example.org", fullName: "New", role: PARTICIPANT}) { id } }',
        lambda w: {"e": gid("Event", w.event)},
        EVENT,
    ),
    "Mutation.importMembers": Probe(
        "mutation($e: ID!, $f: Upload!) { importMembers(eventId: $e, file: $f) { created } }",
        lambda w: {"e": gid("Event", w.event)},
        EVENT,
        upload=("f", "members.csv", CSV),
    ),
    "Mutation.revokeBadge": operation_probe(
        "($m: ID!) { revokeBadge(memberId: $m) { id } }",
        lambda w: {"m": gid("Member", w.members["participant_unpaid"])},
        EVENT,
    ),
    "Mutation.reissueBadge": operation_probe(
        "($m: ID!) { reissueBadge(memberId: $m) { id } }",
        lambda w: {"m": gid("Member", w.members["participant_unpaid"])},
        EVENT,
    ),
    "Mutation.setSessionAccess": operation_probe(
        "($s: ID!, $m: ID!) { setSessionAccess(sessionId: $s, memberId: $m, paymentStatus: PAID) { hasAccess } }",
        lambda w: {
            "s": gid("Session", w.atelier),
            "m": gid("Member", w.members["participant_unpaid"]),
        },
        EVENT,
    ),
    "Mutation.createAnnonce": operation_probe(
        '($e: ID!) { createAnnonce(eventId: $e, title: "T", description: "D", target: ALL) { id } }',
        lambda w: {"e": gid("Event", w.event)},
        EVENT,
    ),
    "Mutation.updateAnnonce": operation_probe(
        '($id: ID!) { updateAnnonce(id: $id, title: "Nouveau titre") { id } }',
        lambda w: {"id": gid("Annonce", w.annonce)},
        ANNONCE_AUTHOR,
    ),
    "Mutation.deleteAnnonce": operation_probe(
        "($id: ID!) { deleteAnnonce(id: $id) }",
        lambda w: {"id": gid("Annonce", w.annonce)},
        ANNONCE_AUTHOR,
    ),
}
PROBES.update(PROGRAMME_PROBES)
PROBES.update(
    {
        "Subscription.roomOccupancy": Probe(
            "subscription($id: ID!) { roomOccupancy(roomId: $id) { occupancy } }",
            lambda w: {"id": gid("Room", w.room)},
            ROOM,
            subscription=True,
        ),
        "Subscription.questionUpdates": Probe(
            "subscription($id: ID!) { questionUpdates(sessionId: $id) { id } }",
            lambda w: {"id": gid("Session", w.atelier)},
            ATELIER,
            subscription=True,
        ),
    }
)


def allow_fields() -> dict[str, list[tuple[Role, Condition]]]:
    """'Type.field' -> its @allow rules, for every field of the served schema that has some."""
    found: dict[str, list[tuple[Role, Condition]]] = {}
    for graphql_type in schema.schema_converter.type_map.values():
        definition = graphql_type.definition
        for f in getattr(definition, "fields", None) or ():
            rules = rules_of(f)
            if rules:
                found[f"{definition.name}.{schema.config.name_converter.get_graphql_name(f)}"] = [
                    (r.role, r.when) for r in rules
                ]
    return found


ALLOW_FIELDS = allow_fields()


def test_every_allow_field_has_a_probe():
    missing = sorted(set(ALLOW_FIELDS) - set(PROBES))
    assert missing == [], f"@allow fields without a probe in this test: {missing}"


def _cases() -> list[Any]:
    return [
        pytest.param(key, persona, id=f"{key}-{persona.name}")
        for key in sorted(PROBES)
        for persona in PERSONAS
    ]


def _refused(body: dict[str, Any]) -> bool:
    return "FORBIDDEN" in error_codes(body)


_pool = ThreadPoolExecutor(max_workers=1)
# A subscription's @allow is checked before its stream starts: a refusal arrives at once.
SUBSCRIPTION_VERDICT_SECONDS = 0.5


def _subscribe(
    client: Any, query: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    """The body-like outcome of starting a subscription: its errors, or none if it runs."""
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json(
            {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {token}"} if token else {},
            }
        )
        try:
            ack = _pool.submit(ws.receive_json).result(timeout=10)
        except WebSocketDisconnect as closed:
            # Refused at connection_init: 4401 is the transport's form of UNAUTHENTICATED.
            code = "UNAUTHENTICATED" if closed.code == 4401 else f"closed {closed.code}"
            return {"errors": [{"message": closed.reason, "extensions": {"code": code}}]}
        assert ack["type"] == "connection_ack"
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
        try:
            message = _pool.submit(ws.receive_json).result(timeout=SUBSCRIPTION_VERDICT_SECONDS)
        except FutureTimeout:
            return {"data": None}
        finally:
            ws.send_json({"id": "1", "type": "complete"})
    errors = (
        message["payload"] if message["type"] == "error" else message["payload"].get("errors", [])
    )
    return {"errors": errors} if errors else {"data": message["payload"]}


def _ask(gql: Any, client: Any, probe: Probe, world: World, token: str | None) -> dict[str, Any]:
    if probe.upload is not None:
        variable, filename, content = probe.upload
        return Uploader(client)(
            probe.query, probe.variables(world), variable, content, filename, token
        )
    if probe.subscription:
        return _subscribe(client, probe.query, probe.variables(world), token)
    return gql(probe.query, probe.variables(world), token=token)


@pytest.mark.parametrize(("key", "persona"), _cases())
def test_allow_is_enforced_exactly(gql, client, factory, key, persona):
    # given
    world = build_world(factory)
    probe = PROBES[key]
    rules = ALLOW_FIELDS[key]
    # when
    body = _ask(gql, client, probe, world, factory.token(world.users[persona.name]))
    # then
    if persona.name in probe.target.hidden_from:
        assert not expected_allowed(persona, rules, probe.target)
        assert error_codes(body) == ["NOT_FOUND"], f"{persona.name} should not see {key}'s object"
        assert body["data"] == {"node": None}
    elif expected_allowed(persona, rules, probe.target):
        assert not _refused(body), f"{persona.name} should be allowed {key}: {body}"
        assert "UNAUTHENTICATED" not in error_codes(body)
    else:
        assert _refused(body), f"{persona.name} should be refused {key}: {body}"
        forbidden = [e for e in body["errors"] if e["extensions"]["code"] == "FORBIDDEN"]
        assert len(forbidden) == 1
        assert forbidden[0]["path"][-1] == key.split(".")[1]


@pytest.mark.parametrize("key", sorted(PROBES))
def test_anonymous_is_unauthenticated(gql, client, factory, key):
    world = build_world(factory)
    probe = PROBES[key]
    body = _ask(gql, client, probe, world, None)
    assert error_codes(body)
    assert set(error_codes(body)) == {"UNAUTHENTICATED"}
