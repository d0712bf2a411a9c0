"""Two organizers booking the same slot of one room at the same moment: one wins, one gets CONFLICT."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

import models
from tests.api.conftest import rows
from tests.conftest import PG_URL
from tests.factories import gid

CREATE = """mutation($e: ID!, $input: SessionInput!) { createSession(eventId: $e, input: $input) { id } }"""


@pytest.mark.skipif(
    not PG_URL, reason="row locks are PostgreSQL's; SQLite serialises writers itself"
)
def test_concurrent_overlapping_sessions_one_wins(app, factory, db):
    # given
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event)
    token = factory.token(president)
    t0 = event.starts_at + timedelta(hours=1)
    barrier = threading.Barrier(4)
    results: list[dict] = []

    def book(n: int) -> None:
        with TestClient(app) as client:
            variables = {
                "e": gid("Event", event),
                "input": {
                    "roomId": gid("Room", room),
                    "title": f"Talk {n}",
                    "kind": "CONFERENCE",
                    "startsAt": (t0 + timedelta(minutes=n)).isoformat(),
                    "endsAt": (t0 + timedelta(minutes=60 + n)).isoformat(),
                },
            }
            barrier.wait()
            response = client.post(
                "/graphql",
                json={"query": CREATE, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            )
            results.append(response.json())

    # when
    threads = [threading.Thread(target=book, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then
    codes = sorted(r["errors"][0]["extensions"]["code"] if "errors" in r else "OK" for r in results)
    assert codes == ["CONFLICT", "CONFLICT", "CONFLICT", "OK"]
    assert len(rows(db, models.EventSession)) == 1
