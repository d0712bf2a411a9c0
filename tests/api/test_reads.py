"""The read side of the core types through the API: me, events, event, room, session, node."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import models
from models import AnnonceTarget, Role
from tests.conftest import error_codes
from tests.factories import gid

EVENT = """query($id: ID!) {
  event(id: $id) {
    id name timezone icalUrl
    president { fullName }
    rooms { name capacity sessions { title } }
    sessions { title kind status isPaid price room { name } event { name } }
    annonces { title target canEdit createdBy { fullName } }
    myMembership { role company fullName badge { code revoked qrSvg qrPng } event { name } }
    exposants { fullName company }
  }
}"""


def _world(factory):
    president = factory.user(name="Claire")
    event = factory.event(president=president, name="Salon", timezone="Europe/Paris")
    room = factory.room(event, name="Salle 1", capacity=30)
    talk = factory.session(room, title="Ouverture", youtube_live_url="https://youtu.be/x")
    participant = factory.member(event, Role.PARTICIPANT)
    factory.member(event, Role.EXPOSANT, company="Badgeo")
    factory.annonce(event, president, AnnonceTarget.ALL, title="Bienvenue")
    factory.annonce(event, president, AnnonceTarget.EXPOSANTS, title="Stands")
    return event, room, talk, participant, president


def test_event_with_rooms_sessions_annonces_and_my_badge(gql, factory, db):
    # given
    event, _room, _talk, participant, _president = _world(factory)
    user = db.get(models.User, participant.user_id)
    # when
    data = gql.ok(EVENT, {"id": gid("Event", event)}, token=factory.token(user))["event"]
    # then
    assert data["name"] == "Salon"
    assert data["timezone"] == "Europe/Paris"
    assert re.fullmatch(rf"/events/{data['id']}/programme\.ics\?token=[\w-]{{43}}", data["icalUrl"])
    assert data["president"] == {"fullName": "Claire"}
    assert data["rooms"] == [
        {"name": "Salle 1", "capacity": 30, "sessions": [{"title": "Ouverture"}]}
    ]
    assert data["sessions"][0] == {
        "title": "Ouverture",
        "kind": "CONFERENCE",
        "status": "PAS_ENCORE",
        "isPaid": False,
        "price": "0.00",
        "room": {"name": "Salle 1"},
        "event": {"name": "Salon"},
    }
    # a participant reads the annonces for all and for participants, not the exposants' one
    assert [a["title"] for a in data["annonces"]] == ["Bienvenue"]
    assert data["annonces"][0]["canEdit"] is False
    me = data["myMembership"]
    badge = factory.badge(participant)
    assert me["role"] == "PARTICIPANT"
    assert me["badge"]["code"] == badge.code
    assert me["badge"]["revoked"] is False
    assert me["badge"]["qrSvg"].lstrip().startswith("<")
    assert "<svg" in me["badge"]["qrSvg"]
    assert me["badge"]["qrPng"].startswith("data:image/png;base64,")
    assert data["exposants"] == [
        {"fullName": data["exposants"][0]["fullName"], "company": "Badgeo"}
    ]


def test_president_sees_every_annonce_newest_first(gql, factory, db):
    event, _room, _talk, _participant, president = _world(factory)
    data = gql.ok(EVENT, {"id": gid("Event", event)}, token=factory.token(president))["event"]
    assert [a["title"] for a in data["annonces"]] == ["Stands", "Bienvenue"]
    assert all(a["canEdit"] for a in data["annonces"])
    assert data["myMembership"] is None


def test_sessions_filters(gql, factory):
    event, room, _talk, participant, _ = _world(factory)
    other_room = factory.room(event, name="Salle 2")
    factory.session(
        other_room, title="Atelier payant", kind=models.SessionKind.ATELIER, price=Decimal("10")
    )
    token = factory.token(factory.db.get(models.User, participant.user_id))
    query = """query($id: ID!, $kind: SessionKind, $room: ID) { event(id: $id) { sessions(kind: $kind, roomId: $room) { title isPaid } } }"""
    ateliers = gql.ok(query, {"id": gid("Event", event), "kind": "ATELIER"}, token=token)["event"][
        "sessions"
    ]
    assert ateliers == [{"title": "Atelier payant", "isPaid": True}]
    in_room = gql.ok(query, {"id": gid("Event", event), "room": gid("Room", room)}, token=token)[
        "event"
    ]["sessions"]
    assert [s["title"] for s in in_room] == ["Ouverture"]


def test_me_and_events(gql, factory, db):
    event, _room, _talk, participant, _ = _world(factory)
    factory.event(name="Not mine")
    user = db.get(models.User, participant.user_id)
    data = gql.ok(
        "{ me { id fullName email isAdmin memberships { role event { name } } } events { name } }",
        token=factory.token(user),
    )
    assert data["me"]["id"] == gid("User", user)
    assert data["me"]["email"] == user.email
    assert data["me"]["memberships"] == [{"role": "PARTICIPANT", "event": {"name": "Salon"}}]
    assert data["events"] == [{"name": "Salon"}]


def test_admin_sees_every_event(gql, factory):
    factory.event(name="A", starts_at=factory.now, ends_at=factory.now + timedelta(days=1))
    factory.event(
        name="B", starts_at=factory.now + timedelta(days=3), ends_at=factory.now + timedelta(days=4)
    )
    admin = factory.user(admin=True)
    assert gql.ok("{ events { name } }", token=factory.token(admin))["events"] == [
        {"name": "A"},
        {"name": "B"},
    ]


def test_president_sees_the_event_it_presides(gql, factory):
    event, *_rest, president = _world(factory)
    assert gql.ok("{ events { name } }", token=factory.token(president))["events"] == [
        {"name": event.name}
    ]


def test_room_session_and_node(gql, factory, db):
    event, room, talk, participant, _ = _world(factory)
    token = factory.token(db.get(models.User, participant.user_id))
    room_data = gql.ok(
        "query($id: ID!) { room(id: $id) { name event { name } sessions { title } } }",
        {"id": gid("Room", room)},
        token=token,
    )
    assert room_data["room"] == {
        "name": "Salle 1",
        "event": {"name": "Salon"},
        "sessions": [{"title": "Ouverture"}],
    }
    session_data = gql.ok(
        "query($id: ID!) { session(id: $id) { title youtubeLiveUrl myAccess { paymentStatus hasAccess } room { name } } }",
        {"id": gid("Session", talk)},
        token=token,
    )
    assert session_data["session"] == {
        "title": "Ouverture",
        "youtubeLiveUrl": "https://youtu.be/x",
        "myAccess": {"paymentStatus": "FREE", "hasAccess": True},
        "room": {"name": "Salle 1"},
    }
    node_query = """query($id: ID!) { node(id: $id) { __typename id ... on Room { name } ... on Session { title } ... on Event { name } ... on Member { role } ... on User { fullName } } }"""
    for type_name, row, expected in (
        ("Room", room, {"name": "Salle 1"}),
        ("Session", talk, {"title": "Ouverture"}),
        ("Event", event, {"name": "Salon"}),
        ("Member", participant, {"role": "PARTICIPANT"}),
    ):
        node = gql.ok(node_query, {"id": gid(type_name, row)}, token=token)["node"]
        assert node == {"__typename": type_name, "id": gid(type_name, row), **expected}
    user = db.get(models.User, participant.user_id)
    assert (
        gql.ok(node_query, {"id": gid("User", user)}, token=token)["node"]["__typename"] == "User"
    )


def test_unknown_or_malformed_ids_are_not_found(gql, factory):
    user = factory.user()
    token = factory.token(user)
    for query, value in (
        ("query($id: ID!) { event(id: $id) { name } }", "nonsense"),
        ("query($id: ID!) { room(id: $id) { name } }", gid("Room", type("R", (), {"id": 999})())),
        ("query($id: ID!) { node(id: $id) { id } }", "Zm9vOmJhcg"),
    ):
        body = gql(query, {"id": value}, token=token)
        assert error_codes(body) == ["NOT_FOUND"], body


def test_anonymous_reads_are_unauthenticated(gql, factory):
    event = factory.event()
    for query in ("{ events { name } }", f'{{ event(id: "{gid("Event", event)}") {{ name }} }}'):
        body = gql(query)
        assert error_codes(body) == ["UNAUTHENTICATED"]
