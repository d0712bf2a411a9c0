"""Nobody sees anything of an event they do not belong to: NOT_FOUND by every path, as if absent."""

from __future__ import annotations

import pytest

import models
from models import AnnonceTarget, Role
from tests.conftest import error_codes
from tests.factories import gid

NODE = "query($id: ID!) { node(id: $id) { id } }"


@pytest.fixture
def two_events(factory):
    president_a = factory.user()
    event_a = factory.event(president=president_a, name="A")
    event_b = factory.event(name="B")
    room_b = factory.room(event_b)
    session_b = factory.session(room_b)
    member_b = factory.member(event_b, Role.PARTICIPANT)
    annonce_b = factory.annonce(event_b, factory.user(), AnnonceTarget.ALL)
    viewers = {
        "president of A": president_a,
        "gestionnaire of A": factory.db.get(
            models.User, factory.member(event_a, Role.GESTIONNAIRE_DES_SALLES).user_id
        ),
        "participant of A": factory.db.get(
            models.User, factory.member(event_a, Role.PARTICIPANT).user_id
        ),
    }
    objects = {
        "Event": event_b,
        "Room": room_b,
        "Session": session_b,
        "Member": member_b,
        "Annonce": annonce_b,
    }
    return viewers, objects


ROOT_FIELDS = {"Event": "event", "Room": "room", "Session": "session"}


def test_objects_of_another_event_are_not_found_by_every_entry_point(gql, factory, two_events):
    viewers, objects = two_events
    for viewer_name, user in viewers.items():
        token = factory.token(user)
        for type_name, row in objects.items():
            body = gql(NODE, {"id": gid(type_name, row)}, token=token)
            assert error_codes(body) == ["NOT_FOUND"], (viewer_name, type_name, body)
            assert body["data"] == {"node": None}
            assert "B" not in body["errors"][0]["message"]
            if type_name in ROOT_FIELDS:
                field = ROOT_FIELDS[type_name]
                body = gql(
                    f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}",
                    {"id": gid(type_name, row)},
                    token=token,
                )
                assert error_codes(body) == ["NOT_FOUND"], (viewer_name, field, body)


def test_not_found_for_another_event_reads_like_a_missing_id(gql, factory, two_events):
    viewers, objects = two_events
    token = factory.token(viewers["participant of A"])
    hidden = gql(
        "query($id: ID!) { room(id: $id) { id } }",
        {"id": gid("Room", objects["Room"])},
        token=token,
    )
    absent = gql(
        "query($id: ID!) { room(id: $id) { id } }",
        {"id": gid("Room", type("Row", (), {"id": 987654})())},
        token=token,
    )
    assert hidden["errors"][0]["message"].replace(str(objects["Room"].id), "N") == absent["errors"][
        0
    ]["message"].replace("987654", "N")


def test_events_lists_only_the_viewers_events(gql, factory, two_events):
    viewers, _objects = two_events
    for user in viewers.values():
        assert gql.ok("{ events { name } }", token=factory.token(user))["events"] == [{"name": "A"}]


def test_memberships_reach_only_own_events(gql, factory, two_events):
    viewers, _objects = two_events
    data = gql.ok(
        "{ me { memberships { event { name rooms { name } } } } }",
        token=factory.token(viewers["participant of A"]),
    )
    assert data["me"]["memberships"] == [{"event": {"name": "A", "rooms": []}}]


def test_admin_reaches_every_event(gql, factory, two_events):
    _viewers, objects = two_events
    token = factory.token(factory.user(admin=True))
    for type_name, row in objects.items():
        assert gql.ok(NODE, {"id": gid(type_name, row)}, token=token)["node"]["id"] == gid(
            type_name, row
        )
