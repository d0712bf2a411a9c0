"""A database out of reach is weather, not a bug: 503 SERVICE_UNAVAILABLE with Retry-After,
logged once for the outage, and the server answers again once the database is back."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from app.db import make_engine
from app.main import create_app
from models import Role
from tests.conftest import PG_URL
from tests.db_proxy import DatabaseProxy
from tests.factories import PASSWORD, gid
from tests.live_client import LiveClient
from tests.live_data import OCCUPANCY, SCAN, Door, scan
from tests.live_server import serve

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="a database reached over the network: the PostgreSQL run has one"
)

ME = "{ me { email } }"
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"""


@pytest.fixture
def proxy(settings) -> Iterator[tuple[DatabaseProxy, TestClient]]:
    url = make_url(settings.database_url)
    relay = DatabaseProxy((url.host or "127.0.0.1", url.port or 5432))
    through = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    app = create_app(dataclasses.replace(settings, database_url=through))
    try:
        with TestClient(app) as client:
            yield relay, client
    finally:
        relay.close()


def test_an_outage_is_a_503_with_a_wait_and_one_log_line(proxy, factory, caplog):
    relay, client = proxy
    user = factory.user()
    headers = {"Authorization": f"Bearer {factory.token(user)}"}
    assert client.post("/graphql", json={"query": ME}, headers=headers).json() == {
        "data": {"me": {"email": user.email}}
    }

    relay.cut()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="agora"):
        answers = [
            client.post("/graphql", json={"query": ME}, headers=headers),
            client.post(
                "/graphql",
                json={"query": LOGIN, "variables": {"e": user.email, "p": PASSWORD}},
            ),
            client.post("/graphql", json={"query": ME}, headers=headers),
        ]
    for answer in answers:
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "5"
        errors = answer.json()["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["SERVICE_UNAVAILABLE"]
        assert "cannot be reached" in errors[0]["message"]
    outage_lines = [r for r in caplog.records if r.name == "agora"]
    assert len(outage_lines) == 1, [r.getMessage() for r in outage_lines]
    assert outage_lines[0].getMessage().startswith("the database cannot be reached")
    assert outage_lines[0].exc_info is None  # one line, not a trace

    relay.mend()
    # The pool dropped the dead connections with the outage: the next request reconnects.
    again = client.post("/graphql", json={"query": ME}, headers=headers)
    assert again.status_code == 200
    assert again.json() == {"data": {"me": {"email": user.email}}}


def test_a_door_display_lives_through_an_outage(settings, factory, db, door: Door):
    """Displays that look during an outage wait it out (no error, no `complete`), and the
    listener is back within a second or so of the database: the next scan is pushed at once."""
    url = make_url(settings.database_url)
    relay = DatabaseProxy((url.host or "127.0.0.1", url.port or 5432))
    through = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    engine = make_engine(through)
    try:
        # Each display looks every second on its own too: some of them during the outage.
        served = dataclasses.replace(settings, database_url=through, live_poll_seconds=1.0)
        with serve(served, engine) as server:
            assert scan(server, door, door.guest, factory) == "GRANTED"
            with LiveClient(server) as client:
                client.init(door.controller_token)
                op = client.subscribe(OCCUPANCY, {"id": gid("Room", door.room)})
                assert client.data(op)["roomOccupancy"]["occupancy"] == 1

                relay.cut()
                # Displays look several times meanwhile; a listener whose retries doubled
                # (0.5, 1, 2, 4, 8 s) would next try 7.5 s after the database is back.
                time.sleep(8)
                relay.mend()

                second = factory.member(door.event, Role.PARTICIPANT)
                answered = _scan_when_back(server, door, second, factory)
                assert answered == "GRANTED"
                # The display saw the outage through: the new occupancy is pushed, by the news
                # or by its own look a second later, not after a listener's long retry.
                pushed = client.data(op, timeout=2.5)["roomOccupancy"]["occupancy"]
                while pushed == 1:  # a look that found no change yet
                    pushed = client.data(op, timeout=2.5)["roomOccupancy"]["occupancy"]
                assert pushed == 2
    finally:
        relay.close()
        engine.dispose()


def _scan_when_back(server: str, door: Door, member, factory) -> str:
    """The scan a door sends again while the database is still coming back (503 meanwhile)."""
    variables = {"r": gid("Room", door.room), "c": factory.badge(member).code}
    headers = {"Authorization": f"Bearer {door.controller_token}"}
    deadline = time.monotonic() + 5
    while True:
        answer = httpx.post(
            server, json={"query": SCAN, "variables": variables}, headers=headers, timeout=10
        )
        if answer.status_code != 503 or time.monotonic() > deadline:
            return answer.json()["data"]["scanBadge"]["status"]
        time.sleep(0.2)
