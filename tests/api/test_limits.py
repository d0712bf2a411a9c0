"""The cost's list sizes and the answer size limit: what they count, and what a client gets past
them, over HTTP and the WebSocket."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import get_nullable_type, is_list_type
from starlette.testclient import TestClient

from app.limits import ASSUMED_LIST_SIZE, LIST_SIZES, MAX_COST, MAX_RESPONSE_BYTES
from app.main import create_app
from schema import schema
from tests.factories import gid

ROOT = Path(__file__).parents[2]
API_GUIDE = ROOT / "docs" / "api.md"
MIB = 1024 * 1024


def test_every_list_size_names_a_plain_list_of_the_schema():
    types = schema._schema.type_map
    for key in LIST_SIZES:
        type_name, field_name = key.split(".")
        field = types[type_name].fields[field_name]
        assert is_list_type(get_nullable_type(field.type)), key
        assert "first" not in field.args, f"{key} is a page: its `first` bounds it"


def test_the_api_guide_gives_the_sizes_and_limits_the_server_counts_with():
    guide = API_GUIDE.read_text()
    for key, size in LIST_SIZES.items():
        assert f"| `{key}` | {size} |" in guide, key
    assert f"any other list counts {ASSUMED_LIST_SIZE}" in guide
    assert f"| cost (see below) | - | {MAX_COST:,} |" in guide
    assert f"| answer size | {MAX_RESPONSE_BYTES // MIB} MiB |" in guide


def _doc_examples() -> list[str]:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [
        block
        for page in pages
        for block in re.findall(r"```graphql\n(.*?)```", page.read_text(), re.DOTALL)
    ]


def test_the_docs_examples_fit_the_production_limits(start_server, factory):
    base = start_server(env="production")
    admin = factory.token(factory.user(admin=True))
    examples = _doc_examples()
    assert len(examples) > 40
    for example in examples:
        answer = httpx.post(
            f"{base}/graphql",
            json={"query": example},
            headers={"Authorization": f"Bearer {admin}"},
        ).json()
        # Refused, if at all, for the missing variables or made-up ids: never by a limit.
        messages = [e["message"] for e in answer.get("errors", [])]
        limited = [m for m in messages if "at most" in m or "depth" in m or "tokens" in m]
        assert limited == [], example


@pytest.fixture
def big_programme(factory: Any, db: Any) -> dict[str, Any]:
    """An event of 9 sessions whose descriptions weigh 1 MiB each, 7 of them in one room."""
    admin = factory.user(admin=True)
    event = factory.event(president=admin)
    big, small = factory.room(event), factory.room(event)
    start = factory.now + timedelta(days=1)
    for n in range(9):
        factory.session(
            big if n < 7 else small,
            starts_at=start + timedelta(hours=n),
            description=f"{n}" * MIB,
        )
    return {"token": factory.token(admin), "event": event, "room": big}


def _post(base: str, token: str, query: str, variables: dict[str, Any]) -> httpx.Response:
    return httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


@pytest.mark.parametrize("env", ["development", "production"])
def test_an_answer_past_the_size_limit_is_replaced_by_an_error(start_server, big_programme, env):
    base = start_server(env=env)
    token = big_programme["token"]
    # given: 7 MiB of descriptions, under the limit: answered
    room = "query($id: ID!) { room(id: $id) { sessions { description } } }"
    answer = _post(base, token, room, {"id": gid("Room", big_programme["room"])}).json()
    assert "errors" not in answer
    assert len(answer["data"]["room"]["sessions"]) == 7
    # when: the event's 9 MiB of them
    event = "query($id: ID!) { event(id: $id) { name sessions { title description } } }"
    response = _post(base, token, event, {"id": gid("Event", big_programme["event"])})
    # then: nothing of it, one coded error
    assert response.status_code == 200
    assert len(response.content) < 1000
    body = response.json()
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "RESPONSE_TOO_LARGE"}
    assert f"past {MAX_RESPONSE_BYTES} bytes" in error["message"]


def test_a_push_past_the_size_limit_ends_its_subscription_with_an_error(
    settings, engine, big_programme
):
    production = dataclasses.replace(settings, env="production")
    query = """subscription($id: ID!) { roomOccupancy(roomId: $id) {
      occupancy room { event { sessions { description } } } } }"""
    with (
        TestClient(create_app(production, engine)) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws,
    ):
        token = big_programme["token"]
        ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        variables = {"id": gid("Room", big_programme["room"])}
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )
        message = ws.receive_json()
        assert (message["id"], message["type"]) == ("1", "error")
        [error] = message["payload"]
        assert error["extensions"] == {"code": "RESPONSE_TOO_LARGE"}
        # the subscription is over: its id may be used again, for a smaller one
        small = "subscription($id: ID!) { roomOccupancy(roomId: $id) { occupancy } }"
        ws.send_json(
            {"id": "1", "type": "subscribe", "payload": {"query": small, "variables": variables}}
        )
        assert ws.receive_json() == {
            "id": "1",
            "type": "next",
            "payload": {"data": {"roomOccupancy": {"occupancy": 0}}},
        }
