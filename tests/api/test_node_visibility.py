"""`node(id)` shows exactly what the lists show, for every Node type and every role.

One event holds an object of every Node type (annonces of every target, hidden questions, a paid
atelier, members of each role, their assignments, visits, scans and files), beside a second
event with an outsider. For each viewer, the ids its lists show (everything reachable from `me`
and `events`, through every list and every object they name) must be exactly the ids that
`node(id)` answers, among every row of the database; `node` returns of each the fields the lists
return, and any other id is NOT_FOUND with the message of an id that never was.

The Node types are read from the served schema: a new one without a fragment and a table here
fails `test_every_node_type_has_a_case`. Users are the one type read only as the viewer's own
(`me`): the users that other objects name (a president, an annonce's author) are read there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select
from strawberry.types.base import StrawberryObjectDefinition

import models
from kernel.ids import encode
from models import AnnonceTarget, PaymentStatus, Role, SessionKind
from permissions.requirements import SIGHTS
from schema import schema
from schema.queries import NODE_KINDS
from tests.api.conftest import Uploader, minimal_pdf
from tests.conftest import GraphQLClient, error_codes
from tests.factories import Factory, gid

# Each Node type's fields, as both the lists and node(id) ask for them. A reference to another
# Node is `{ __typename id }`: it counts as shown, its fields are compared where listed.
FIELDS: dict[str, str] = {
    "Event": "id name description location startsAt endsAt timezone president { id }",
    "Room": "id name description location capacity occupancy",
    "Session": (
        "id title description speakerName kind isPaid price status startsAt endsAt "
        "youtubeLiveUrl myAccess { paymentStatus hasAccess amountPaid member { __typename id } } "
        "accessList { paymentStatus amountPaid member { __typename id } }"
    ),
    "Annonce": "id title description target createdAt updatedAt canEdit createdBy { id }",
    "Member": (
        "id role company checkedInAt sharesContact fullName email badge { code } "
        "plan { ...FileFields } currentAssignment { __typename id } "
        "exposantStats { totalVisits visits { edges { node { ...VisitFields } } } }"
    ),
    "File": "id filename contentType size sha256 uploadedAt url",
    "Question": (
        "id text askedAt answer isHidden isPinned isAnonymous upvotes isAnswered "
        "author { __typename id }"
    ),
    "RoomAssignment": (
        "id role startsAt endsAt assignedAt cancelled endedAt isActive "
        "member { __typename id } room { __typename id }"
    ),
    "Visit": "id scannedAt note rating tags participant { __typename id }",
    "RoomAccess": (
        "id status reason scannedAt clientScannedAt room { __typename id } "
        "member { __typename id } controller { __typename id }"
    ),
    "User": "id fullName isAdmin email",
}
# The table of each Node type: every one of its rows is asked for by id.
TABLES: dict[str, type[Any]] = {
    "Event": models.Event,
    "Room": models.Room,
    "Session": models.EventSession,
    "Annonce": models.Annonce,
    "Member": models.Member,
    "File": models.StoredFile,
    "Question": models.Question,
    "RoomAssignment": models.RoomAssignment,
    "Visit": models.Visit,
    "RoomAccess": models.RoomAccess,
    "User": models.User,
}


def _fragment(type_name: str) -> str:
    return f"fragment {type_name}Fields on {type_name} {{ __typename {FIELDS[type_name]} }}"


def _document(operation: str) -> str:
    """The operation with the fragments it spreads (and those they spread)."""
    wanted: list[str] = []
    pending = re.findall(r"\.\.\.(\w+)Fields", operation)
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.append(name)
            pending += re.findall(r"\.\.\.(\w+)Fields", FIELDS[name])
    return "\n".join([operation, *(_fragment(name) for name in sorted(wanted))])


LISTS = _document(
    """query Lists($then: DateTime!) {
  me { ...UserFields memberships { ...MemberFields } }
  events {
    ...EventFields
    programme { ...FileFields }
    guide { ...FileFields }
    rooms {
      ...RoomFields
      sessions { ...SessionFields }
      staff { ...RoomAssignmentFields }
      earlier: staff(at: $then) { ...RoomAssignmentFields }
      stats { scans { edges { node { ...RoomAccessFields } } } }
    }
    sessions { ...SessionFields questions { edges { node { ...QuestionFields } } } }
    annonces { ...AnnonceFields }
    myMembership { ...MemberFields }
    exposants { ...MemberFields }
    members { edges { node { ...MemberFields } } }
    staffAssignments(at: null, all: true) { ...RoomAssignmentFields }
  }
}"""
)
NODE = {
    name: _document(f"query($id: ID!) {{ node(id: $id) {{ ...{name}Fields }} }}") for name in FIELDS
}
ABSENT_PK = 999_999


@dataclass
class World:
    viewers: dict[str, models.User]
    # Hours ago, when the second controller held the first room (Room.staff(at: ...)).
    then: str


def build_world(factory: Factory, db: Any, upload: Uploader) -> World:
    now = factory.now
    admin = factory.user(name="Admin", admin=True)
    president = factory.user(name="President")
    event = factory.event(president=president)
    salle_a = factory.room(event, name="Salle A")
    salle_b = factory.room(event, name="Salle B")
    conference = factory.session(salle_a, title="Ouverture")
    atelier = factory.session(
        salle_b,
        title="Atelier payant",
        kind=SessionKind.ATELIER,
        price=Decimal("20"),
        youtube_live_url="https://youtu.be/atelier",
    )

    def member(role: Role, name: str, company: str = "") -> models.Member:
        return factory.member(event, role, user=factory.user(name=name), company=company)

    gestionnaire = member(Role.GESTIONNAIRE_DES_SALLES, "Gestionnaire")
    controller = member(Role.CONTROLLEUR_DES_BADGES, "Controller")
    other_controller = member(Role.CONTROLLEUR_DES_BADGES, "Other controller")
    participant = member(Role.PARTICIPANT, "Participant")
    visitor = member(Role.PARTICIPANT, "Visitor")
    scanned = member(Role.PARTICIPANT, "Scanned")
    exposant = member(Role.EXPOSANT, "Exposant", company="ACME")
    other_exposant = member(Role.EXPOSANT, "Other exposant", company="Globex")

    factory.assignment(gestionnaire, salle_a)
    factory.assignment(controller, salle_a)
    factory.assignment(other_controller, salle_b)
    factory.assignment(
        other_controller,
        salle_a,
        starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1),
    )
    factory.access(atelier, visitor, PaymentStatus.PAID)
    factory.access(atelier, participant, PaymentStatus.PENDING)
    for target in AnnonceTarget:
        factory.annonce(event, db.get(models.User, gestionnaire.user_id), target)
    factory.question(conference, participant, "Visible ?")
    factory.question(atelier, visitor, "Et le prix ?")
    for session, author in ((conference, participant), (atelier, visitor)):
        hidden = factory.question(session, author, "Cachée")
        hidden.is_hidden = True
        db.commit()
    factory.visit(exposant, visitor, note="Intéressé")
    factory.visit(other_exposant, participant)
    factory.scan(salle_a, scanned, controller=controller)
    factory.scan(salle_b, participant, controller=other_controller)

    # The other event: its outsider must see nothing of this one, nor anyone here of it.
    elsewhere = factory.event()
    outsider = factory.member(elsewhere, Role.PARTICIPANT, user=factory.user(name="Outsider"))
    factory.session(factory.room(elsewhere, name="Ailleurs"))
    factory.annonce(elsewhere, factory.user(), AnnonceTarget.ALL)

    # Files go in as the API takes them: the programme and the exposant's stand plan.
    token = factory.token(president)
    for query, variables in (
        (
            "mutation($e: ID!, $f: Upload!) { uploadEventFile(eventId: $e, kind: PROGRAMME, file: $f) { id } }",
            {"e": gid("Event", event)},
        ),
        (
            "mutation($m: ID!, $f: Upload!) { uploadExposantPlan(memberId: $m, file: $f) { id } }",
            {"m": gid("Member", exposant)},
        ),
    ):
        body = upload(query, variables, "f", minimal_pdf(), "doc.pdf", token)
        assert "errors" not in body, body

    def user_of(m: models.Member) -> models.User:
        return db.get(models.User, m.user_id)

    viewers = {
        "admin": admin,
        "president": president,
        "gestionnaire": user_of(gestionnaire),
        "controller": user_of(controller),
        "participant": user_of(participant),
        "exposant": user_of(exposant),
        "outsider": user_of(outsider),
    }
    return World(viewers=viewers, then=(now - timedelta(hours=2)).isoformat())


def _collect(value: Any, shown: dict[str, set[str]], fields: dict[str, dict[str, Any]]) -> None:
    """Every Node object in a response: its id as shown, and its fields where listed whole."""
    if isinstance(value, list):
        for item in value:
            _collect(item, shown, fields)
        return
    if not isinstance(value, dict):
        return
    type_name = value.get("__typename")
    if type_name in FIELDS and "id" in value:
        shown.setdefault(type_name, set()).add(value["id"])
        if set(value) - {"__typename", "id"}:
            seen = fields.setdefault(value["id"], value)
            same = {k: seen[k] for k in seen.keys() & value.keys()}
            assert same == {k: value[k] for k in same}, f"{type_name} {value['id']} in two lists"
    for item in value.values():
        _collect(item, shown, fields)


def _absent_message(gql: GraphQLClient, type_name: str, token: str) -> str:
    body = gql(NODE[type_name], {"id": encode(type_name, ABSENT_PK)}, token)
    assert error_codes(body) == ["NOT_FOUND"], body
    return str(body["errors"][0]["message"]).replace(str(ABSENT_PK), "<id>")


def node_types() -> set[str]:
    """The schema's types that implement Node."""
    return {
        definition.name
        for graphql_type in schema.schema_converter.type_map.values()
        if isinstance(definition := graphql_type.definition, StrawberryObjectDefinition)
        and any(i.name == "Node" for i in definition.interfaces)
    }


def test_every_node_type_has_a_case():
    assert node_types() == set(FIELDS) == set(TABLES) == set(SIGHTS) == set(NODE_KINDS)


@pytest.mark.parametrize(
    "viewer",
    ["admin", "president", "gestionnaire", "controller", "participant", "exposant", "outsider"],
)
def test_node_answers_exactly_what_the_lists_show(gql, factory, db, upload, viewer):
    # given
    world = build_world(factory, db, upload)
    token = factory.token(world.viewers[viewer])
    shown: dict[str, set[str]] = {}
    listed: dict[str, dict[str, Any]] = {}
    # when: what every list shows this viewer (refused fields are null, their errors expected)
    lists = gql(LISTS, {"then": world.then}, token)
    assert set(error_codes(lists)) <= {"FORBIDDEN"}, lists.get("errors")
    _collect(lists["data"], shown, listed)
    # then: node(id) answers each row of every Node type exactly when a list shows it
    for type_name, table in TABLES.items():
        absent = _absent_message(gql, type_name, token)
        for row in db.exec(select(table)).all():
            node_id = gid(type_name, row)
            body = gql(NODE[type_name], {"id": node_id}, token)
            if node_id in shown.get(type_name, set()):
                assert set(error_codes(body)) <= {"FORBIDDEN"}, (type_name, row.id, body)
                node = body["data"]["node"]
                assert node is not None, f"{viewer} lists {type_name} {row.id} but node hides it"
                if node_id in listed:
                    # The list's own extras (a session's questions under Event.sessions) aside.
                    as_listed = {k: listed[node_id].get(k, "(not listed)") for k in node}
                    assert node == as_listed, f"{type_name} {row.id} as node and as listed"
            else:
                assert body["data"] == {"node": None}, f"{viewer} reads {type_name} {row.id}"
                assert error_codes(body) == ["NOT_FOUND"], body
                message = str(body["errors"][0]["message"]).replace(str(row.id), "<id>")
                assert message == absent, f"{type_name} {row.id} is told apart from an absent id"


def test_the_world_shows_and_hides_every_type(gql, factory, db, upload):
    """The case above proves something for each type: some viewer is shown one of its rows, and
    the participant is not shown every one (nor the outsider anything of the event)."""
    world = build_world(factory, db, upload)
    per_viewer: dict[str, dict[str, set[str]]] = {}
    for viewer, user in world.viewers.items():
        shown: dict[str, set[str]] = {}
        _collect(gql(LISTS, {"then": world.then}, factory.token(user))["data"], shown, {})
        per_viewer[viewer] = shown
    every = {
        name: {gid(name, row) for row in db.exec(select(t)).all()} for name, t in TABLES.items()
    }
    for type_name in TABLES:
        assert any(per_viewer[v].get(type_name) for v in per_viewer), type_name
        hidden_from_someone = any(
            per_viewer[v].get(type_name, set()) != every[type_name] for v in per_viewer
        )
        assert hidden_from_someone, type_name
    # The annonces the participant lists: those for all and for participants, no other target.
    assert len(per_viewer["participant"]["Annonce"]) == 2


ANNONCE = """query($id: ID!) { node(id: $id) { ... on Annonce { title target } } }"""
MEMBER = """query($id: ID!) { node(id: $id) {
  ... on Member { fullName company role checkedInAt sharesContact } } }"""


def test_a_participant_cannot_read_an_annonce_aimed_at_others_by_id(gql, factory, db):
    # given: annonces of every target; Event.annonces lists the participant two of them
    event = factory.event()
    author = factory.user()
    annonces = {t: factory.annonce(event, author, t) for t in AnnonceTarget}
    participant = factory.member(event, Role.PARTICIPANT)
    token = factory.token(db.get(models.User, participant.user_id))
    # when
    answers = {t: gql(ANNONCE, {"id": gid("Annonce", a)}, token) for t, a in annonces.items()}
    # then
    for target in (AnnonceTarget.ALL, AnnonceTarget.PARTICIPANTS):
        assert answers[target]["data"]["node"]["target"] == target.value
    for target in (
        AnnonceTarget.GESTIONNAIRES,
        AnnonceTarget.CONTROLLEURS,
        AnnonceTarget.EXPOSANTS,
    ):
        assert answers[target]["data"] == {"node": None}
        assert answers[target]["errors"][0]["message"] == (
            f"No annonce has the id {annonces[target].id}."
        )
        assert error_codes(answers[target]) == ["NOT_FOUND"]


def test_a_participant_cannot_rebuild_the_member_list_by_id(gql, factory, db):
    # given: Event.members is refused to a participant
    event = factory.event()
    participant = factory.member(event, Role.PARTICIPANT)
    others = [
        factory.member(event, role, company="Co")
        for role in (Role.PARTICIPANT, Role.GESTIONNAIRE_DES_SALLES, Role.CONTROLLEUR_DES_BADGES)
    ]
    exposant = factory.member(event, Role.EXPOSANT, company="ACME")
    token = factory.token(db.get(models.User, participant.user_id))
    # when
    hidden = [gql(MEMBER, {"id": gid("Member", m)}, token) for m in others]
    own = gql.ok(MEMBER, {"id": gid("Member", participant)}, token)
    directory = gql.ok(MEMBER, {"id": gid("Member", exposant)}, token)
    # then: no name, company, role, check-in or contact flag of anyone the lists do not show
    for body, member in zip(hidden, others, strict=True):
        assert body["data"] == {"node": None}
        assert error_codes(body) == ["NOT_FOUND"]
        assert body["errors"][0]["message"] == f"No member has the id {member.id}."
    assert own["node"]["role"] == "PARTICIPANT"
    assert directory["node"]["company"] == "ACME"  # Event.exposants: the salon directory
