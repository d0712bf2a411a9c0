"""Room.stats, Session.attendance, Room.occupancy / currentSession / nextSession: exact figures
(across a DST change in New York), the scan log's pages, refusals and statement counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import models
from models import DenyReason, Role, ScanStatus
from tests.conftest import error_codes
from tests.factories import gid

ROOM_STATS = """query($id: ID!, $from: DateTime, $to: DateTime, $status: ScanStatus, $first: Int, $after: String) {
  node(id: $id) { ... on Room { stats(from: $from, to: $to) {
    totalScans granted denied uniqueMembers
    byReason { reason count }
    byHour { hour count }
    scans(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage endCursor }
      edges { node {
        id status reason scannedAt clientScannedAt
        member { fullName } controller { fullName } room { name } session { title }
      } }
    }
  } } }
}"""

PROGRAMME = """query($id: ID!) { event(id: $id) {
  rooms { name occupancy currentSession { title } nextSession { title } sessions { title attendance } }
  sessions { title attendance room { name } }
} }"""


def _utc(hh: int, mm: int) -> datetime:
    return datetime(2026, 11, 1, hh, mm, tzinfo=UTC)


def _door(factory):
    """New York, 1 November 2026: clocks go back at 06:00 UTC (02:00 EDT -> 01:00 EST)."""
    president = factory.user()
    event = factory.event(president=president, timezone="America/New_York")
    room = factory.room(event, name="Salle 3", capacity=3)
    other = factory.room(event, name="Salle 4")
    controller = factory.member(
        event, Role.CONTROLLEUR_DES_BADGES, user=factory.user(name="Carl Controle")
    )
    factory.assignment(controller, room)
    session = factory.session(room, title="Keynote", starts_at=_utc(5, 0), ends_at=_utc(8, 0))
    people = {
        name: factory.member(event, Role.PARTICIPANT, user=factory.user(name=name))
        for name in ("Ada", "Bob", "Cléo", "Dan")
    }
    scans = {}
    for key, who, status, reason, at in (
        ("ada", "Ada", ScanStatus.GRANTED, None, _utc(5, 10)),
        ("bob", "Bob", ScanStatus.GRANTED, None, _utc(5, 20)),
        ("ada_again", "Ada", ScanStatus.GRANTED, None, _utc(5, 30)),
        ("unknown", None, ScanStatus.DENIED, DenyReason.UNKNOWN_BADGE, _utc(5, 40)),
        ("cleo", "Cléo", ScanStatus.DENIED, DenyReason.NOT_PAID, _utc(6, 10)),
        ("cleo_again", "Cléo", ScanStatus.DENIED, DenyReason.NOT_PAID, _utc(6, 20)),
        ("dan_full", "Dan", ScanStatus.DENIED, DenyReason.ROOM_FULL, _utc(6, 30)),
        ("dan", "Dan", ScanStatus.GRANTED, None, _utc(7, 5)),
    ):
        scans[key] = factory.scan(
            room,
            people[who] if who else None,
            controller=controller,
            status=status,
            reason=reason,
            session=session,
            scanned_at=at,
            client_scanned_at=at - timedelta(seconds=3) if key == "dan" else None,
        )
    # Another room's scans never count here.
    factory.scan(other, people["Ada"], controller=controller, scanned_at=_utc(5, 15))
    return event, president, room, controller, session, people, scans


def _token_of(factory, member):
    return factory.token(factory.db.get(models.User, member.user_id))


def test_controller_reads_its_rooms_figures_across_the_dst_change(gql, factory):
    # given
    _, _, room, controller, _, _, _ = _door(factory)
    # when
    stats = gql.ok(ROOM_STATS, {"id": gid("Room", room)}, _token_of(factory, controller))
    # then
    stats = stats["node"]["stats"]
    assert {k: stats[k] for k in ("totalScans", "granted", "denied", "uniqueMembers")} == {
        "totalScans": 8,
        "granted": 4,
        "denied": 4,
        "uniqueMembers": 3,
    }
    assert stats["byReason"] == [
        {"reason": "NOT_PAID", "count": 2},
        {"reason": "ROOM_FULL", "count": 1},
        {"reason": "UNKNOWN_BADGE", "count": 1},
    ]
    # 01:00 happens twice that night: once in EDT (-04:00), once in EST (-05:00)
    assert stats["byHour"] == [
        {"hour": "2026-11-01T01:00:00-04:00", "count": 4},
        {"hour": "2026-11-01T01:00:00-05:00", "count": 3},
        {"hour": "2026-11-01T02:00:00-05:00", "count": 1},
    ]
    assert stats["scans"]["totalCount"] == 8


def test_from_and_to_bound_every_figure(gql, factory):
    # given
    _, president, room, _, _, _, _ = _door(factory)
    # when: from is included, to is excluded
    stats = gql.ok(
        ROOM_STATS,
        {
            "id": gid("Room", room),
            "from": "2026-11-01T06:00:00Z",
            "to": "2026-11-01T02:05:00-05:00",
        },
        factory.token(president),
    )["node"]["stats"]
    # then
    assert (stats["totalScans"], stats["granted"], stats["denied"], stats["uniqueMembers"]) == (
        3,
        0,
        3,
        0,
    )
    assert stats["byReason"] == [
        {"reason": "NOT_PAID", "count": 2},
        {"reason": "ROOM_FULL", "count": 1},
    ]
    assert stats["byHour"] == [{"hour": "2026-11-01T01:00:00-05:00", "count": 3}]
    assert stats["scans"]["totalCount"] == 3


def test_from_after_to_is_bad_user_input(gql, factory):
    _, president, room, _, _, _, _ = _door(factory)
    body = gql(
        ROOM_STATS,
        {"id": gid("Room", room), "from": "2026-11-02T00:00:00Z", "to": "2026-11-01T00:00:00Z"},
        factory.token(president),
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "`from` must not be after `to`."
    assert body["data"] == {"node": {"stats": None}}


def test_denied_scans_page_newest_first_with_who_and_why(gql, factory):
    # given
    _, _, room, controller, _, _, scans = _door(factory)
    token = _token_of(factory, controller)
    variables = {"id": gid("Room", room), "status": "DENIED", "first": 2}
    # when
    first = gql.ok(ROOM_STATS, variables, token)["node"]["stats"]["scans"]
    # then
    assert first["totalCount"] == 4
    assert first["pageInfo"]["hasNextPage"] is True
    assert [e["node"] for e in first["edges"]] == [
        {
            "id": gid("RoomAccess", scans["dan_full"]),
            "status": "DENIED",
            "reason": "ROOM_FULL",
            "scannedAt": "2026-11-01T06:30:00+00:00",
            "clientScannedAt": None,
            "member": {"fullName": "Dan"},
            "controller": {"fullName": "Carl Controle"},
            "room": {"name": "Salle 3"},
            "session": {"title": "Keynote"},
        },
        {
            "id": gid("RoomAccess", scans["cleo_again"]),
            "status": "DENIED",
            "reason": "NOT_PAID",
            "scannedAt": "2026-11-01T06:20:00+00:00",
            "clientScannedAt": None,
            "member": {"fullName": "Cléo"},
            "controller": {"fullName": "Carl Controle"},
            "room": {"name": "Salle 3"},
            "session": {"title": "Keynote"},
        },
    ]

    # when a new scan arrives, the next page continues where the first ended
    factory.scan(
        room, None, controller=controller, status=ScanStatus.DENIED, reason=DenyReason.REVOKED_BADGE
    )
    second = gql.ok(ROOM_STATS, {**variables, "after": first["pageInfo"]["endCursor"]}, token)[
        "node"
    ]["stats"]["scans"]
    # then
    assert [e["node"]["id"] for e in second["edges"]] == [
        gid("RoomAccess", scans["cleo"]),
        gid("RoomAccess", scans["unknown"]),
    ]
    assert second["edges"][1]["node"]["member"] is None
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["totalCount"] == 5


def test_granted_filter_and_client_time(gql, factory):
    _, president, room, _, _, _, scans = _door(factory)
    page = gql.ok(
        ROOM_STATS,
        {"id": gid("Room", room), "status": "GRANTED", "first": 1},
        factory.token(president),
    )["node"]["stats"]["scans"]
    assert page["totalCount"] == 4
    assert page["edges"][0]["node"]["id"] == gid("RoomAccess", scans["dan"])
    assert page["edges"][0]["node"]["clientScannedAt"] == "2026-11-01T07:04:57+00:00"


@pytest.mark.parametrize(
    "_case",
    ["controller of another room", "controller whose slot ended", "participant", "exposant"],
)
def test_room_stats_refused_to_others(gql, factory, _case):
    # given
    event, _, room, _, _, people, _ = _door(factory)
    if _case == "participant":
        viewer = people["Ada"]
    elif _case == "exposant":
        viewer = factory.member(event, Role.EXPOSANT)
    else:
        viewer = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
        if _case == "controller of another room":
            factory.assignment(viewer, factory.room(event))
        else:
            factory.assignment(
                viewer,
                room,
                starts_at=factory.now - timedelta(hours=3),
                ends_at=factory.now - timedelta(minutes=1),
            )
    # when
    body = gql(ROOM_STATS, {"id": gid("Room", room)}, _token_of(factory, viewer))
    # then
    assert body["data"] == {"node": {"stats": None}}
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["message"] == (
        "Only admins, the event's organizer, gestionnaires des salles or badge controllers "
        "assigned to this room now may do this (Room.stats)."
    )


def test_room_stats_of_another_event_is_not_found(gql, factory):
    _, _, room, _, _, _, _ = _door(factory)
    stranger = factory.member(factory.event(), Role.GESTIONNAIRE_DES_SALLES)
    body = gql(ROOM_STATS, {"id": gid("Room", room)}, _token_of(factory, stranger))
    assert error_codes(body) == ["NOT_FOUND"]
    assert gql(ROOM_STATS, {"id": gid("Room", room)})["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )


def _live_room(factory, event, name, controller, people, *, now):
    """A room with a past, a running, a next and a later session, and scans at its door."""
    room = factory.room(event, name=name, capacity=40)
    past = factory.session(room, title=f"{name} past", starts_at=now - timedelta(hours=3))
    running = factory.session(
        room,
        title=f"{name} running",
        starts_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(minutes=30),
    )
    factory.session(room, title=f"{name} next", starts_at=now + timedelta(hours=1))
    factory.session(room, title=f"{name} later", starts_at=now + timedelta(hours=3))
    ada, bob, cleo, dan = people
    factory.scans(room, [dan], controller=controller, session=past, start=now - timedelta(hours=3))
    factory.scans(room, [ada, bob, ada], controller=controller, session=running)
    factory.scans(
        room,
        [cleo],
        controller=controller,
        session=running,
        status=ScanStatus.DENIED,
        reason=DenyReason.NOT_PAID,
    )
    return room, running


def test_occupancy_current_and_next_session_and_attendance(gql, factory):
    # given
    president = factory.user()
    event = factory.event(president=president)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    people = [factory.member(event, Role.PARTICIPANT) for _ in range(4)]
    now = models.utcnow()
    _live_room(factory, event, "A", controller, people, now=now)
    quiet = factory.room(event, name="B")
    factory.session(quiet, title="B past", starts_at=now - timedelta(hours=5))
    # when
    data = gql.ok(PROGRAMME, {"id": gid("Event", event)}, factory.token(president))["event"]
    # then
    assert data["rooms"] == [
        {
            "name": "A",
            "occupancy": 2,
            "currentSession": {"title": "A running"},
            "nextSession": {"title": "A next"},
            "sessions": [
                {"title": "A past", "attendance": 1},
                {"title": "A running", "attendance": 2},
                {"title": "A next", "attendance": 0},
                {"title": "A later", "attendance": 0},
            ],
        },
        {
            "name": "B",
            "occupancy": 0,
            "currentSession": None,
            "nextSession": None,
            "sessions": [{"title": "B past", "attendance": 0}],
        },
    ]
    assert [s["title"] for s in data["sessions"]] == [
        "B past",
        "A past",
        "A running",
        "A next",
        "A later",
    ]


def test_attendance_refused_to_a_participant_but_occupancy_is_public(gql, factory):
    event = factory.event()
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    people = [factory.member(event, Role.PARTICIPANT) for _ in range(4)]
    _live_room(factory, event, "A", controller, people, now=models.utcnow())
    body = gql(
        """query($id: ID!) { event(id: $id) { rooms { occupancy sessions { attendance } } } }""",
        {"id": gid("Event", event)},
        _token_of(factory, people[0]),
    )
    assert body["data"]["event"]["rooms"][0]["occupancy"] == 2
    assert body["data"]["event"]["rooms"][0]["sessions"] == [{"attendance": None}] * 4
    assert error_codes(body) == ["FORBIDDEN"] * 4


def _programme_statements(gql, factory, count_statements, rooms, scans_per_session):
    president = factory.user()
    event = factory.event(president=president)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    people = factory.people(event, Role.PARTICIPANT, max(4, scans_per_session))
    now = models.utcnow()
    for i in range(rooms):
        room, running = _live_room(factory, event, f"R{i:02}", controller, people[:4], now=now)
        factory.scans(room, people[4:scans_per_session], controller=controller, session=running)
    with count_statements() as statements:
        data = gql.ok(PROGRAMME, {"id": gid("Event", event)}, factory.token(president))["event"]
    assert len(data["rooms"]) == rooms
    assert data["rooms"][0]["occupancy"] == max(2, scans_per_session - 4 + 2)
    return len(statements)


def test_programme_with_occupancy_and_attendance_is_one_statement_per_level(
    gql, factory, count_statements
):
    small = _programme_statements(gql, factory, count_statements, rooms=2, scans_per_session=4)
    large = _programme_statements(gql, factory, count_statements, rooms=20, scans_per_session=300)
    assert small == large
    assert large <= 10, large


def _room_stats_statements(gql, factory, count_statements, n):
    president = factory.user()
    event = factory.event(president=president, timezone="Europe/Paris")
    room = factory.room(event)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    people = factory.people(event, Role.PARTICIPANT, n)
    session = factory.session(room)
    factory.scans(
        room, people[: n // 2], controller=controller, session=session, step=timedelta(seconds=20)
    )
    factory.scans(
        room,
        people[n // 2 :],
        controller=controller,
        session=session,
        status=ScanStatus.DENIED,
        reason=DenyReason.NOT_PAID,
        step=timedelta(seconds=20),
    )
    with count_statements() as statements:
        stats = gql.ok(ROOM_STATS, {"id": gid("Room", room), "first": 50}, factory.token(president))
    stats = stats["node"]["stats"]
    assert stats["totalScans"] == n
    assert stats["uniqueMembers"] == n // 2
    assert len(stats["scans"]["edges"]) == min(n, 50)
    return len(statements)


def test_room_stats_run_a_fixed_small_number_of_statements(gql, factory, count_statements):
    small = _room_stats_statements(gql, factory, count_statements, 10)
    large = _room_stats_statements(gql, factory, count_statements, 1000)
    assert small == large
    assert large <= 14, large
