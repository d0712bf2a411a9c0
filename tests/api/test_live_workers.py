"""Live pushes across worker processes on PostgreSQL: a write served by one worker reaches
subscribers connected to another, through the database's notifications alone."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, make_url, text
from sqlmodel import Session
from websockets.sync.client import connect
from websockets.typing import Subprotocol

import models
from app.db import RESTED_SECONDS
from app.live import LISTENER_NAME, READER_NAME
from kernel.settings import Settings
from models import AnnonceTarget, Role, ScanStatus
from resolvers import news
from tests.conftest import PG_URL
from tests.factories import gid
from tests.live_client import LiveClient
from tests.live_data import (
    ANNONCES,
    ASK,
    OCCUPANCY,
    PUBLISH,
    QUESTIONS,
    REASSIGN,
    SCAN,
    Door,
    post,
    scan,
    token_of,
)
from tests.live_server import agora_serve, server_environment

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="several worker processes share one database on PostgreSQL only"
)


@pytest.fixture(scope="module")
def workers(settings: Settings, engine: Engine) -> Iterator[tuple[str, str]]:
    """Two `agora serve` processes on the test database: two workers, two listeners."""
    env = server_environment(settings)
    with agora_serve(env) as first, agora_serve(env) as second:
        yield first, second


def test_a_scan_on_one_worker_reaches_subscribers_on_both(workers, factory, db, door: Door):
    a, b = workers
    with LiveClient(a) as near, LiveClient(b) as far:
        near.init(door.controller_token)
        far.init(door.organizer)
        n = near.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        f = far.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        near.data(n)
        far.data(f)
        # when: the scan is served by worker A
        assert scan(a, door, door.guest, factory) == "GRANTED"
        # then: both see it, B through the database's notification
        for client, op in ((near, n), (far, f)):
            pushed = client.data(op, timeout=5)["roomOccupancy"]
            assert (pushed["occupancy"], pushed["lastScan"]["status"]) == (1, "GRANTED")
        # and the other way round
        second = factory.member(door.event, Role.PARTICIPANT)
        assert scan(b, door, second, factory) == "GRANTED"
        assert near.data(n, timeout=5)["roomOccupancy"]["occupancy"] == 2


def test_questions_and_annonces_cross_workers(workers, factory, db, door: Door):
    a, b = workers
    token = token_of(factory, db, door.guest)
    with LiveClient(b) as client:
        client.init(token)
        q = client.subscribe(QUESTIONS, {"id": gid("Session", door.talk)})
        n = client.subscribe(ANNONCES, {"id": gid("Event", door.event)})
        client.nothing_for(q, 0.5)  # both subscriptions have taken their starting point
        post(a, ASK, {"s": gid("Session", door.talk), "t": "Pause ?"}, token)
        assert client.data(q, timeout=5)["questionUpdates"]["text"] == "Pause ?"
        event_id = gid("Event", door.event)
        post(a, PUBLISH, {"e": event_id, "t": "CONTROLLEURS", "title": "Portes"}, door.organizer)
        post(a, PUBLISH, {"e": event_id, "t": "PARTICIPANTS", "title": "Café"}, door.organizer)
        # the participant's feed skips the controllers' annonce
        assert client.data(n, timeout=5)["annoncePublished"]["title"] == "Café"


def test_a_rolled_back_write_reaches_no_worker(workers, factory, db, door: Door, engine):
    a, b = workers
    with LiveClient(a) as one, LiveClient(b) as two:
        ops = []
        for client in (one, two):
            client.init(door.organizer)
            ops.append(client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)}))
            client.data(ops[-1])
        with Session(engine) as tx:
            factory_scan = models.RoomAccess(
                event_id=door.event.id,
                room_id=door.room.id,
                session_id=door.talk.id,
                member_id=door.guest.id,
                code="x",
                controller_id=door.controller.id,
                scanned_by_id=door.controller.user_id,
                status=ScanStatus.GRANTED,
                scanned_at=models.utcnow(),
            )
            tx.add(factory_scan)
            tx.flush()
            news.publish(tx, "room", door.room.id)
            tx.rollback()
        one.nothing_for(ops[0], 0.7)
        two.nothing_for(ops[1], 0.1)
        # a committed scan still reaches both
        assert scan(a, door, door.guest, factory) == "GRANTED"
        assert one.data(ops[0], timeout=5)["roomOccupancy"]["occupancy"] == 1
        assert two.data(ops[1], timeout=5)["roomOccupancy"]["occupancy"] == 1


def test_a_controller_reassigned_on_another_worker_stops_receiving(
    workers, factory, db, door: Door
):
    a, b = workers
    annex = factory.room(door.event, name="Annexe")
    with LiveClient(b) as client:
        client.init(door.controller_token)
        old = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        client.data(old)
        until = (models.utcnow() + timedelta(hours=2)).isoformat()
        variables = {"m": gid("Member", door.controller), "r": gid("Room", annex), "until": until}
        post(a, REASSIGN, variables, door.organizer)
        assert [e["extensions"]["code"] for e in client.errors(old, timeout=5)] == ["FORBIDDEN"]
        new = client.subscribe(OCCUPANCY, {"id": gid("Room", annex)})
        assert client.data(new)["roomOccupancy"]["room"] == {"name": "Annexe"}


def test_no_leak_across_events_or_roles_between_workers(workers, factory, db, door: Door):
    a, b = workers
    # given: a second event whose door is busy, and an exposant of the first event
    other = factory.event()
    hall = factory.room(other)
    factory.session(hall)
    keeper = factory.member(other, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(keeper, hall)
    exposant = factory.member(door.event, Role.EXPOSANT)
    with LiveClient(b) as staff, LiveClient(b) as stand:
        staff.init(door.controller_token)
        stand.init(token_of(factory, db, exposant))
        s = staff.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        staff.data(s)
        # an exposant may not watch a door, nor anything of the other event
        refused = stand.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        assert [e["extensions"]["code"] for e in stand.errors(refused)] == ["FORBIDDEN"]
        foreign = stand.subscribe(ANNONCES, {"id": gid("Event", other)})
        assert [e["extensions"]["code"] for e in stand.errors(foreign)] == ["NOT_FOUND"]
        mine = stand.subscribe(ANNONCES, {"id": gid("Event", door.event)})
        stand.nothing_for(mine, 0.5)
        # when: the other event has a scan and an annonce, served by worker A
        visitor = factory.member(other, Role.PARTICIPANT)
        variables = {"r": gid("Room", hall), "c": factory.badge(visitor).code}
        post(a, SCAN, variables, token_of(factory, db, keeper))
        admin = factory.token(factory.user(admin=True))
        post(
            a,
            PUBLISH,
            {"e": gid("Event", other), "t": AnnonceTarget.ALL.value, "title": "Ailleurs"},
            admin,
        )
        # then: nothing reaches this event's subscribers
        staff.nothing_for(s, 0.7)
        stand.nothing_for(mine, 0.1)


def test_several_workers_behind_one_port(settings, engine, factory, db, door: Door):
    # `agora serve --workers 2`: the kernel spreads the sockets over both workers
    with agora_serve(server_environment(settings), workers=2) as url:
        clients = [LiveClient(url) for _ in range(6)]
        try:
            ops = []
            for client in clients:
                client.init(door.organizer)
                ops.append(client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)}))
                client.data(ops[-1])
            for n in range(1, 4):
                member = factory.member(door.event, Role.PARTICIPANT)
                assert scan(url, door, member, factory) == "GRANTED"
                for client, op in zip(clients, ops, strict=True):
                    assert client.data(op, timeout=5)["roomOccupancy"]["occupancy"] == n
        finally:
            for client in clients:
                client.close()


def test_agora_serve_sends_pushes_uncompressed(settings, engine):
    # Door displays get a few hundred bytes per push, one push per scan: compressing each one
    # costs the server more than it saves on the wire, so the offer of permessage-deflate (made
    # by browsers and by this client) is declined.
    with agora_serve(server_environment(settings)) as url:
        ws = url.replace("http://", "ws://")
        with connect(ws, subprotocols=[Subprotocol("graphql-transport-ws")]) as socket:
            assert socket.response.headers.get("Sec-WebSocket-Extensions") is None
            assert socket.request.headers.get("Sec-WebSocket-Extensions") is not None


def _drop_connections(engine: Engine, application_name: str) -> None:
    """The database ends every connection of that name to the test database."""
    with engine.connect() as conn:
        dropped = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"
            ),
            {"name": application_name},
        ).all()
    assert dropped
    assert all(ok for (ok,) in dropped)


def test_connections_dropped_under_a_push_are_waited_out_and_the_display_goes_on(
    settings, factory, db, door: Door, engine
):
    name = "agora-under-test"
    url = make_url(settings.database_url).update_query_dict({"application_name": name})
    env = server_environment(settings, DATABASE_URL=url.render_as_string(hide_password=False))
    with agora_serve(env) as served, LiveClient(served) as client:
        client.init(door.controller_token)
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        assert client.data(op)["roomOccupancy"]["occupancy"] == 0
        # when: the database drops the server's connections (its pool's and its reading one,
        # not its listener), then a scan comes, and its news has the display read the door on
        # a dropped connection
        _drop_connections(engine, name)
        _drop_connections(engine, READER_NAME)
        # after a quiet second, as a restart at night: the scan's connection is checked first
        time.sleep(RESTED_SECONDS + 0.5)
        assert scan(served, door, door.guest, factory) == "GRANTED"
        # then: the display is pushed the scan (no error of the server's, no `complete`): the
        # read found its connection gone and was made again on a new one
        assert client.data(op, timeout=10)["roomOccupancy"]["occupancy"] == 1
        second = factory.member(door.event, Role.PARTICIPANT)
        assert scan(served, door, second, factory) == "GRANTED"
        assert client.data(op, timeout=10)["roomOccupancy"]["occupancy"] == 2


def test_pushes_go_on_when_the_reading_connection_is_lost(
    live_server, factory, db, door: Door, engine
):
    with LiveClient(live_server) as client:
        client.init(door.controller_token)
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        client.data(op)
        assert scan(live_server, door, door.guest, factory) == "GRANTED"
        assert client.data(op, timeout=5)["roomOccupancy"]["occupancy"] == 1
        # when: the database drops the worker's reading connection, then a scan happens
        _drop_connections(engine, READER_NAME)
        second = factory.member(door.event, Role.PARTICIPANT)
        assert scan(live_server, door, second, factory) == "GRANTED"
        # then: the push comes all the same (read in a thread), and the next ones too
        assert client.data(op, timeout=5)["roomOccupancy"]["occupancy"] == 2
        third = factory.member(door.event, Role.PARTICIPANT)
        assert scan(live_server, door, third, factory) == "GRANTED"
        assert client.data(op, timeout=5)["roomOccupancy"]["occupancy"] == 3


def test_pushes_resume_after_the_listening_connection_is_lost(
    live_server, factory, db, door: Door, engine
):
    with LiveClient(live_server) as client:
        client.init(door.controller_token)
        op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
        client.data(op)
        # when: the database drops the worker's listening connection, and a scan happens
        # before it is back
        _drop_connections(engine, LISTENER_NAME)
        assert scan(live_server, door, door.guest, factory) == "GRANTED"
        # then: back listening, the worker has its subscribers look again; later news flows
        assert client.data(op, timeout=10)["roomOccupancy"]["occupancy"] == 1
        second = factory.member(door.event, Role.PARTICIPANT)
        assert scan(live_server, door, second, factory) == "GRANTED"
        assert client.data(op, timeout=5)["roomOccupancy"]["occupancy"] == 2
