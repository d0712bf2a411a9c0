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
