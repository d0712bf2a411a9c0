"""How a request's statements reach PostgreSQL: without BEGIN and COMMIT where one statement is
atomic on its own (queries, the door), inside one transaction for every other mutation."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.conftest import PG_URL, before_each_statement
from tests.factories import gid
from tests.live_data import Door

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="SQLite runs every request in a transaction (its reads' snapshot)"
)

SCAN = """mutation($input: ScanInput!) {
  scanBadge(input: $input) { status duplicate member { id } session { id } room { name } }
}"""
ROOM = "query($id: ID!) { room(id: $id) { name capacity } }"
UPDATE_ROOM = """mutation($id: ID!) {
  updateRoom(id: $id, input: {name: "Salle Rameau", capacity: 80}) { name capacity }
}"""


@pytest.fixture
def driver_modes(engine: Engine) -> Callable[[], Any]:
    """`with driver_modes() as modes:` whether the driver was in autocommit (sends no BEGIN and
    no COMMIT) for each statement the server runs meanwhile."""

    @contextmanager
    def watching() -> Iterator[list[bool]]:
        modes: list[bool] = []

        def record(_conn: Any, cursor: Any, *_args: Any) -> None:
            modes.append(cursor.connection.autocommit)

        with before_each_statement(engine, record):
            yield modes

    return watching


def test_a_door_scan_runs_without_begin_and_commit(gql, factory, door: Door, driver_modes):
    # given
    room, token, code = door.room, door.controller_token, factory.badge(door.guest).code
    variables = {"input": {"roomId": gid("Room", room), "code": code, "clientScanId": "a"}}
    # when
    with driver_modes() as modes:
        scan = gql.ok(SCAN, variables, token)["scanBadge"]
    # then: the viewer, the room and agora_scan, each atomic on its own
    assert scan["status"] == "GRANTED"
    assert scan["room"]["name"] == room.name
    assert modes
    assert all(modes), modes
    # and the scan was kept: the retry is answered from the log
    assert gql.ok(SCAN, variables, token)["scanBadge"]["duplicate"] is True


def test_a_query_runs_without_begin_and_commit(gql, door: Door, driver_modes):
    # given
    room, token = door.room, door.controller_token
    # when
    with driver_modes() as modes:
        assert gql.ok(ROOM, {"id": gid("Room", room)}, token)["room"]["name"] == room.name
    # then
    assert modes
    assert all(modes), modes


def test_any_other_mutation_runs_in_one_transaction(gql, factory, driver_modes):
    # given
    president = factory.user()
    room = factory.room(factory.event(president=president), name=f"Salle {uuid.uuid4().hex}")
    # when
    with driver_modes() as modes:
        updated = gql.ok(UPDATE_ROOM, {"id": gid("Room", room)}, factory.token(president))
    # then
    assert updated["updateRoom"] == {"name": "Salle Rameau", "capacity": 80}
    assert modes
    assert not any(modes), modes
