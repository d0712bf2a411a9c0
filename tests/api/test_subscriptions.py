"""Live updates over WebSocket (graphql-transport-ws), with the same @allow as everything else."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import models
from models import AnnonceTarget, Role
from tests.factories import gid

ANNONCES = "subscription($id: ID!) { annoncePublished(eventId: $id) { title target createdBy { fullName } } }"
_pool = ThreadPoolExecutor(max_workers=1)


def _receive(ws: Any, timeout: float = 10.0) -> dict[str, Any]:
    return _pool.submit(ws.receive_json).result(timeout=timeout)


def _subscribe(client, token: str | None, query: str, variables: dict[str, Any]):
    ws = client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"])
    session = ws.__enter__()
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    session.send_json({"type": "connection_init", "payload": payload})
    assert _receive(session)["type"] == "connection_ack"
    session.send_json(
        {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
    )
    return ws, session


def test_member_receives_annonces_for_its_role_only(client, factory, db):
    # given
    president = factory.user(name="Claire")
    event = factory.event(president=president)
    participant = factory.member(event, Role.PARTICIPANT)
    ws, session = _subscribe(
        client,
        factory.token(db.get(models.User, participant.user_id)),
        ANNONCES,
        {"id": gid("Event", event)},
    )
    try:
        time.sleep(0.3)  # the subscription has taken its starting point
        # when: one annonce for exposants (not for this viewer), then one for all
        factory.annonce(event, president, AnnonceTarget.EXPOSANTS, title="Stands")
        factory.annonce(event, president, AnnonceTarget.ALL, title="Bienvenue")
        # then: only the second one arrives
        message = _receive(session)
        assert message["type"] == "next"
        assert message["payload"]["data"]["annoncePublished"] == {
            "title": "Bienvenue",
            "target": "ALL",
            "createdBy": {"fullName": "Claire"},
        }
    finally:
        ws.__exit__(None, None, None)


def test_subscription_to_another_event_is_not_found(client, factory, db):
    mine = factory.event()
    other = factory.event()
    participant = factory.member(mine, Role.PARTICIPANT)
    ws, session = _subscribe(
        client,
        factory.token(db.get(models.User, participant.user_id)),
        ANNONCES,
        {"id": gid("Event", other)},
    )
    try:
        message = _receive(session)
        assert message["type"] in ("next", "error")
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert [e["extensions"]["code"] for e in errors] == ["NOT_FOUND"]
    finally:
        ws.__exit__(None, None, None)


@pytest.mark.parametrize("token", [None, "garbage"])
def test_subscription_needs_a_valid_token(client, factory, token):
    event = factory.event()
    ws, session = _subscribe(client, token, ANNONCES, {"id": gid("Event", event)})
    try:
        message = _receive(session)
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert [e["extensions"]["code"] for e in errors] == ["UNAUTHENTICATED"]
    finally:
        ws.__exit__(None, None, None)


def test_room_occupancy_is_pushed_after_a_scan(client, gql, factory, db):
    # given: a controller on duty at a room with a running session
    event = factory.event()
    room = factory.room(event, capacity=40)
    factory.session(room)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(controller, room)
    guest = factory.member(event, Role.PARTICIPANT)
    token = factory.token(db.get(models.User, controller.user_id))
    query = "subscription($id: ID!) { roomOccupancy(roomId: $id) { occupancy capacity room { name } lastScan { status member { id } } } }"
    ws, session = _subscribe(client, token, query, {"id": gid("Room", room)})
    try:
        time.sleep(0.3)
        # when: the controller scans a badge at the door
        scan = (
            "mutation($r: ID!, $c: String!) { scanBadge(input: {roomId: $r, code: $c}) { status } }"
        )
        result = gql.ok(scan, {"r": gid("Room", room), "c": factory.badge(guest).code}, token=token)
        assert result["scanBadge"]["status"] == "GRANTED"
        # then
        message = _receive(session)
        assert message["payload"]["data"]["roomOccupancy"] == {
            "occupancy": 1,
            "capacity": 40,
            "room": {"name": room.name},
            "lastScan": {"status": "GRANTED", "member": {"id": gid("Member", guest)}},
        }
    finally:
        ws.__exit__(None, None, None)


def test_question_updates_push_asked_then_answered(client, gql, factory, db):
    event = factory.event()
    room = factory.room(event)
    talk = factory.session(room)
    participant = factory.member(event, Role.PARTICIPANT)
    token = factory.token(db.get(models.User, participant.user_id))
    query = "subscription($id: ID!) { questionUpdates(sessionId: $id) { text isAnswered answer } }"
    ws, session = _subscribe(client, token, query, {"id": gid("Session", talk)})
    try:
        time.sleep(0.3)
        asked = gql.ok(
            'mutation($s: ID!) { askQuestion(sessionId: $s, text: "Slides ?") { id } }',
            {"s": gid("Session", talk)},
            token=token,
        )
        first = _receive(session)["payload"]["data"]["questionUpdates"]
        assert first == {"text": "Slides ?", "isAnswered": False, "answer": None}
        admin = factory.token(factory.user(admin=True))
        gql.ok(
            'mutation($q: ID!) { answerQuestion(questionId: $q, answer: "Oui") { id } }',
            {"q": asked["askQuestion"]["id"]},
            token=admin,
        )
        second = _receive(session)["payload"]["data"]["questionUpdates"]
        assert second == {"text": "Slides ?", "isAnswered": True, "answer": "Oui"}
    finally:
        ws.__exit__(None, None, None)
