"""createRoom, updateRoom, deleteRoom."""

from __future__ import annotations

import pytest

import models
from models import Role
from tests.api.conftest import rows
from tests.conftest import error_codes
from tests.factories import gid

CREATE = """mutation($e: ID!, $input: RoomInput!) {
  createRoom(eventId: $e, input: $input) { id name description location capacity event { id } }
}"""
UPDATE = """mutation($id: ID!, $input: RoomInput!) { updateRoom(id: $id, input: $input) { id name capacity } }"""
DELETE = """mutation($id: ID!) { deleteRoom(id: $id) }"""


def _staff(factory, db, event, who):
    if who == "admin":
        return factory.user(admin=True)
    if who == "president":
        return db.get(models.User, event.president_id)
    return db.get(models.User, factory.member(event, who).user_id)


@pytest.mark.parametrize("who", ["admin", "president", Role.GESTIONNAIRE_DES_SALLES])
def test_staff_create_a_room(gql, factory, db, who):
    event = factory.event(president=factory.user())
    viewer = _staff(factory, db, event, who)
    data = gql.ok(
        CREATE,
        {
            "e": gid("Event", event),
            "input": {"name": " Salle 5 ", "capacity": 40, "location": "2e étage"},
        },
        factory.token(viewer),
    )
    room = data["createRoom"]
    assert (room["name"], room["capacity"], room["location"], room["description"]) == (
        "Salle 5",
        40,
        "2e étage",
        "",
    )
    assert room["event"]["id"] == gid("Event", event)
    stored = rows(db, models.Room)
    assert [(r["event_id"], r["name"], r["capacity"]) for r in stored] == [
        (event.id, "Salle 5", 40)
    ]


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.CONTROLLEUR_DES_BADGES, Role.EXPOSANT])
def test_other_members_cannot_create_rooms(gql, factory, db, role):
    event = factory.event(president=factory.user())
    viewer = _staff(factory, db, event, role)
    body = gql(
        CREATE,
        {"e": gid("Event", event), "input": {"name": "X", "capacity": 3}},
        factory.token(viewer),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert rows(db, models.Room) == []


def test_create_room_in_another_event_is_not_found(gql, factory, db):
    mine = factory.event(president=(president := factory.user()))
    other = factory.event(president=factory.user())
    body = gql(
        CREATE,
        {"e": gid("Event", other), "input": {"name": "X", "capacity": 3}},
        factory.token(president),
    )
    assert error_codes(body) == ["NOT_FOUND"]
    assert rows(db, models.Room) == []
    assert mine.id


@pytest.mark.parametrize(
    ("_case", "room_input", "message"),
    [
        (
            "zero capacity",
            {"name": "X", "capacity": 0},
            "A room's capacity is a positive number of people.",
        ),
        (
            "negative capacity",
            {"name": "X", "capacity": -5},
            "A room's capacity is a positive number of people.",
        ),
        ("blank name", {"name": "  ", "capacity": 5}, "The room's name cannot be empty."),
    ],
)
def test_create_room_refuses_bad_input(gql, factory, db, _case, room_input, message):
    president = factory.user()
    event = factory.event(president=president)
    body = gql(CREATE, {"e": gid("Event", event), "input": room_input}, factory.token(president))
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == message
    assert rows(db, models.Room) == []


def test_room_names_are_unique_within_an_event(gql, factory, db):
    president = factory.user()
    event = factory.event(president=president)
    factory.room(event, name="Salle 1")
    before = rows(db, models.Room)
    body = gql(
        CREATE,
        {"e": gid("Event", event), "input": {"name": "salle 1", "capacity": 5}},
        factory.token(president),
    )
    assert error_codes(body) == ["CONFLICT"]
    assert body["errors"][0]["message"] == "This event already has a room named “salle 1”."
    assert rows(db, models.Room) == before


def test_update_room(gql, factory, db):
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event, name="Salle 1", capacity=10)
    data = gql.ok(
        UPDATE,
        {"id": gid("Room", room), "input": {"name": "Salle 1", "capacity": 12}},
        factory.token(president),
    )
    assert data["updateRoom"] == {"id": gid("Room", room), "name": "Salle 1", "capacity": 12}
    assert rows(db, models.Room)[0]["capacity"] == 12


def test_update_room_refusals_change_nothing(gql, factory, db):
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event, name="Salle 1")
    factory.room(event, name="Salle 2")
    participant = _staff(factory, db, event, Role.PARTICIPANT)
    before = rows(db, models.Room)
    cases = [
        ({"name": "Salle 2", "capacity": 5}, president, "CONFLICT"),
        ({"name": "Salle 1", "capacity": 0}, president, "BAD_USER_INPUT"),
        ({"name": "Salle 1", "capacity": 5}, participant, "FORBIDDEN"),
    ]
    for room_input, viewer, code in cases:
        body = gql(UPDATE, {"id": gid("Room", room), "input": room_input}, factory.token(viewer))
        assert error_codes(body) == [code]
    body = gql(
        UPDATE, {"id": "bm9wZQ", "input": {"name": "X", "capacity": 1}}, factory.token(president)
    )
    assert error_codes(body) == ["NOT_FOUND"]
    assert rows(db, models.Room) == before


def test_delete_an_unused_room(gql, factory, db):
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event)
    assert gql.ok(DELETE, {"id": gid("Room", room)}, factory.token(president)) == {
        "deleteRoom": True
    }
    assert rows(db, models.Room) == []


def test_delete_room_refused_while_sessions_refer_to_it(gql, factory, db):
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event, name="Salle 1")
    factory.session(room)
    before = rows(db, models.Room)
    body = gql(DELETE, {"id": gid("Room", room)}, factory.token(president))
    assert error_codes(body) == ["CONFLICT"]
    assert (
        body["errors"][0]["message"]
        == "The room “Salle 1” still has 1 session(s); it cannot be deleted."
    )
    assert rows(db, models.Room) == before


def test_delete_room_never_cascades_scans_away(gql, factory, db):
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event, name="Salle 1")
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    db.add(
        models.RoomAccess(
            event_id=event.id,
            room_id=room.id,
            code="AGB-unknown",
            controller_id=controller.id,
            scanned_by_id=controller.user_id,
            status=models.ScanStatus.DENIED,
            reason=models.DenyReason.UNKNOWN_BADGE,
        )
    )
    db.commit()
    before = rows(db, models.Room), rows(db, models.RoomAccess)
    body = gql(DELETE, {"id": gid("Room", room)}, factory.token(president))
    assert error_codes(body) == ["CONFLICT"]
    assert (
        body["errors"][0]["message"]
        == "The room “Salle 1” still has 1 recorded scan(s); it cannot be deleted."
    )
    assert (rows(db, models.Room), rows(db, models.RoomAccess)) == before


def test_delete_room_forbidden_and_not_found(gql, factory, db):
    event = factory.event(president=factory.user())
    room = factory.room(event)
    exposant = _staff(factory, db, event, Role.EXPOSANT)
    outsider_president = factory.user()
    factory.event(president=outsider_president)
    before = rows(db, models.Room)
    assert error_codes(gql(DELETE, {"id": gid("Room", room)}, factory.token(exposant))) == [
        "FORBIDDEN"
    ]
    assert error_codes(
        gql(DELETE, {"id": gid("Room", room)}, factory.token(outsider_president))
    ) == ["NOT_FOUND"]
    assert rows(db, models.Room) == before
