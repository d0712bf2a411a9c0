"""A server process listens for news on PostgreSQL only while it has subscribers: without any,
every scan's notification would wake it, and a database backend, for nobody."""

from __future__ import annotations

import dataclasses
import time

import pytest
from sqlalchemy import Engine, text

from app.live import LISTENER_NAME, READER_NAME
from models import Role
from tests.conftest import PG_URL
from tests.factories import gid
from tests.live_client import LiveClient
from tests.live_data import OCCUPANCY, Door, scan
from tests.live_server import serve

pytestmark = pytest.mark.skipif(not PG_URL, reason="LISTEN/NOTIFY is PostgreSQL's")


def _listeners(engine: Engine, name: str = LISTENER_NAME) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": name},
        ).scalar_one()


def _until_no_listener(engine: Engine, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while _listeners(engine) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _listeners(engine) == 0


def test_a_worker_listens_only_while_it_has_subscribers(
    settings, engine: Engine, factory, db, door: Door
):
    with serve(dataclasses.replace(settings, live_listen_idle_seconds=0.3), engine) as url:
        # given: a server nobody has subscribed to, serving scans
        assert scan(url, door, door.guest, factory) == "GRANTED"
        assert _listeners(engine) == 0
        with LiveClient(url) as client:
            # when: a door display subscribes
            client.init(door.controller_token)
            op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
            assert client.data(op)["roomOccupancy"]["occupancy"] == 1
            # then: its worker listens, and the next scan is pushed (read on its own connection)
            assert _listeners(engine) == 1
            second = factory.member(door.event, Role.PARTICIPANT)
            assert scan(url, door, second, factory) == "GRANTED"
            assert client.data(op, timeout=5)["roomOccupancy"]["occupancy"] == 2
            assert _listeners(engine, READER_NAME) == 1
        # when: the display is gone, the listening connection goes after the idle time, and
        # the reading one with it
        _until_no_listener(engine, seconds=5)
        assert _listeners(engine, READER_NAME) == 0
        # then: a new display has the worker listen again, and is pushed what follows
        with LiveClient(url) as client:
            client.init(door.controller_token)
            op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
            assert client.data(op)["roomOccupancy"]["occupancy"] == 2
            third = factory.member(door.event, Role.PARTICIPANT)
            assert scan(url, door, third, factory) == "GRANTED"
            assert client.data(op, timeout=5)["roomOccupancy"]["occupancy"] == 3
