"""The stats read counters the writes keep (models/tally.py), not the scan log.

A dashboard must cost the same on the fifth day as on the first, so its totals may not count the
log; the counters must stay exact under concurrent scans and deletions, and `agora stats verify`
must catch (and `--repair` mend) any counter that drifted from the log.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import delete, text
from sqlmodel import col

import models
from models import DenyReason, Role, ScanStatus
from tests.conftest import PG_URL
from tests.factories import gid
from tests.test_cli import _agora

SCAN = "mutation($input: ScanInput!) { scanBadge(input: $input) { status reason } }"
ROOM_STATS = """query($id: ID!) { room(id: $id) { stats {
  totalScans granted denied uniqueMembers byReason { reason count } byHour { hour count }
} } }"""
DASHBOARD = """query($id: ID!) { event(id: $id) { stats {
  members checkedIn totalScans denied scansByHour { hour count } sessions { attendance noShows }
} } }"""
EXPOSANT_STATS = """query($id: ID!) { node(id: $id) { ... on Member { exposantStats {
  totalVisits todayVisits uniqueVisitors byHour { hour count }
} } } }"""


# A probe for one row (a paid member's entry) is not a count of the log.
_PROBE = re.compile(r"EXISTS \(SELECT \*\s+FROM (room_access|visit)\b", re.IGNORECASE)
_LOG = re.compile(r"FROM (room_access|visit)\b", re.IGNORECASE)


def _counts_rows_of_the_log(statement: str) -> bool:
    return "count(" in statement.lower() and bool(_LOG.search(_PROBE.sub("", statement)))


def _door(factory, capacity: int = 1000):
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event, capacity=capacity)
    session = factory.session(room)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(controller, room)
    token = factory.token(factory.db.get(models.User, controller.user_id))
    return president, event, room, session, controller, token


def _room_stats(gql, factory, president, room) -> dict:
    token = factory.token(president)
    return gql.ok(ROOM_STATS, {"id": gid("Room", room)}, token)["room"]["stats"]


def _dashboard(gql, factory, president, event) -> dict:
    return gql.ok(DASHBOARD, {"id": gid("Event", event)}, factory.token(president))["event"][
        "stats"
    ]


def test_the_dashboards_read_counters_and_never_count_the_log(gql, factory, count_statements):
    # given: a room with scans, an exposant with visits
    president, event, room, session, controller, _token = _door(factory)
    people = [factory.member(event, Role.PARTICIPANT) for _ in range(3)]
    factory.scans(room, people, controller=controller, session=session)
    exposant = factory.member(event, Role.EXPOSANT)
    factory.visits(exposant, people, start=factory.now - timedelta(minutes=5))
    exposant_token = factory.token(factory.db.get(models.User, exposant.user_id))
    # when
    with count_statements() as statements:
        room_stats = _room_stats(gql, factory, president, room)
        gql.ok(DASHBOARD, {"id": gid("Event", event)}, factory.token(president))
        visits = gql.ok(EXPOSANT_STATS, {"id": gid("Member", exposant)}, exposant_token)
    # then: the figures are right, and no statement counted the scan log or the visits
    assert (room_stats["totalScans"], room_stats["uniqueMembers"]) == (3, 3)
    assert visits["node"]["exposantStats"]["uniqueVisitors"] == 3
    counting = [s for s in statements if _counts_rows_of_the_log(s)]
    assert counting == []


def test_counters_follow_bulk_writes_and_deletions(gql, factory, db):
    # given: grants of a, b, a and a denial, then the two rows of `a` removed (retention)
    president, event, room, session, controller, _token = _door(factory)
    a, b = (factory.member(event, Role.PARTICIPANT) for _ in range(2))
    factory.scans(room, [a, b, a], controller=controller, session=session)
    factory.scan(
        room, None, controller=controller, status=ScanStatus.DENIED, reason=DenyReason.UNKNOWN_BADGE
    )
    assert _room_stats(gql, factory, president, room) | {"byHour": None} == {
        "totalScans": 4,
        "granted": 3,
        "denied": 1,
        "uniqueMembers": 2,
        "byReason": [{"reason": "UNKNOWN_BADGE", "count": 1}],
        "byHour": None,
    }
    # when
    A = models.RoomAccess
    db.execute(delete(A).where(col(A.member_id) == a.id))
    db.commit()
    # then
    stats = _room_stats(gql, factory, president, room)
    assert (stats["totalScans"], stats["granted"], stats["uniqueMembers"]) == (2, 1, 1)
    dashboard = _dashboard(gql, factory, president, event)
    assert (dashboard["checkedIn"], dashboard["totalScans"], dashboard["denied"]) == (1, 2, 1)


@pytest.mark.skipif(
    not PG_URL, reason="row locks under concurrency are PostgreSQL's; SQLite serializes writers"
)
def test_fifty_parallel_scans_keep_every_counter_exact(gql, factory, db, live_server, settings):
    # given: 25 participants, each presented twice at once, and unknown badges among them
    president, event, room, _session, _controller, token = _door(factory)
    codes = [factory.badge(factory.member(event, Role.PARTICIPANT)).code for _ in range(20)]
    codes = codes * 2 + [f"AGB-nobody-{n}" for n in range(10)]
    barrier = threading.Barrier(len(codes))

    def scan(code: str) -> dict:
        variables = {"input": {"roomId": gid("Room", room), "code": code}}
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            return client.post(
                live_server,
                json={"query": SCAN, "variables": variables},
                headers={"Authorization": f"Bearer {token}"},
            ).json()

    # when
    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        bodies = list(pool.map(scan, codes))
    # then
    assert all("errors" not in b for b in bodies), bodies
    stats = _room_stats(gql, factory, president, room)
    assert (stats["totalScans"], stats["granted"], stats["denied"]) == (50, 40, 10)
    assert stats["uniqueMembers"] == 20
    assert stats["byReason"] == [{"reason": "UNKNOWN_BADGE", "count": 10}]
    assert sum(h["count"] for h in stats["byHour"]) == 50
    dashboard = _dashboard(gql, factory, president, event)
    assert (dashboard["checkedIn"], dashboard["totalScans"], dashboard["denied"]) == (20, 50, 10)
    assert dashboard["sessions"] == [{"attendance": 20, "noShows": 0}]
    verified = _agora(settings, "stats", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_stats_verify_finds_a_drifted_counter_and_repair_mends_it(gql, factory, db, settings):
    # given: scans and visits whose counters were tampered with
    president, event, room, session, controller, _token = _door(factory)
    people = [factory.member(event, Role.PARTICIPANT) for _ in range(3)]
    factory.scans(room, people, controller=controller, session=session)
    exposant = factory.member(event, Role.EXPOSANT)
    factory.visits(exposant, people, start=factory.now - timedelta(minutes=5))
    assert _agora(settings, "stats", "verify").returncode == 0
    db.execute(text("UPDATE scan_count SET n = n + 5"))
    db.execute(text("DELETE FROM exposant_visitor WHERE participant_id = :p"), {"p": people[0].id})
    db.commit()
    assert _room_stats(gql, factory, president, room)["totalScans"] == 8
    # when
    found = _agora(settings, "stats", "verify")
    # then
    assert found.returncode == 1
    assert "2 counter row(s) differ" in found.stdout
    assert "scan_count" in found.stdout
    assert "kept 8, counted 3" in found.stdout
    assert "exposant_visitor" in found.stdout
    assert "--repair" in found.stdout
    # and when repaired
    repaired = _agora(settings, "stats", "verify", "--repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "Repaired" in repaired.stdout
    assert _agora(settings, "stats", "verify").returncode == 0
    assert _room_stats(gql, factory, president, room)["totalScans"] == 3
