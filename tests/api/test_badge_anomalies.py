"""Event.badgeAnomalies: one badge granted at two rooms too close in time for one person."""

from __future__ import annotations

from datetime import timedelta

import pytest

import models
from models import Role, ScanStatus
from tests.conftest import error_codes
from tests.factories import gid

ANOMALIES = """query($id: ID!, $within: Int) {
  event(id: $id) {
    badgeAnomalies(withinMinutes: $within) {
      member { id fullName }
      first { id room { name } }
      second { id room { name } scannedAt clientScannedAt }
    }
  }
}"""


def _site(factory, rooms: int = 2):
    president = factory.user()
    event = factory.event(president=president)
    halls = [factory.room(event, name=f"Salle {i + 1}") for i in range(rooms)]
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    return event, halls, controller, factory.token(president)


def _anomalies(gql, event, token, within: int | None = None) -> list[dict]:
    variables = {"id": gid("Event", event), "within": within}
    return gql.ok(ANOMALIES, variables, token)["event"]["badgeAnomalies"]


def test_grants_at_two_rooms_minutes_apart_are_reported_newest_first(gql, factory):
    # given: ada's badge enters salle 1 then salle 2 two minutes later; bob walks normally
    event, (one, two), controller, token = _site(factory)
    ada, bob = (factory.member(event, Role.PARTICIPANT) for _ in range(2))
    now = factory.now
    a1 = factory.scan(one, ada, controller=controller, scanned_at=now - timedelta(minutes=30))
    a2 = factory.scan(two, ada, controller=controller, scanned_at=now - timedelta(minutes=28))
    factory.scan(one, bob, controller=controller, scanned_at=now - timedelta(minutes=30))
    factory.scan(two, bob, controller=controller, scanned_at=now - timedelta(minutes=10))
    b3 = factory.scan(one, bob, controller=controller, scanned_at=now - timedelta(minutes=9))
    # when
    found = _anomalies(gql, event, token)
    # then: bob's later hop (newest) comes before ada's
    assert [(f["member"]["id"], f["first"]["id"], f["second"]["id"]) for f in found] == [
        (gid("Member", bob), found[0]["first"]["id"], gid("RoomAccess", b3)),
        (gid("Member", ada), gid("RoomAccess", a1), gid("RoomAccess", a2)),
    ]
    assert found[1]["first"]["room"]["name"] == "Salle 1"
    assert found[1]["second"]["room"]["name"] == "Salle 2"
    # a wider window also reports bob's 20-minute walk
    assert len(_anomalies(gql, event, token, within=30)) == 3


def test_same_room_denied_and_far_apart_grants_are_not_anomalies(gql, factory):
    # given
    event, (one, two), controller, token = _site(factory)
    ada = factory.member(event, Role.PARTICIPANT)
    now = factory.now
    factory.scan(one, ada, controller=controller, scanned_at=now - timedelta(minutes=30))
    factory.scan(one, ada, controller=controller, scanned_at=now - timedelta(minutes=29))
    factory.scan(
        two,
        ada,
        controller=controller,
        status=ScanStatus.DENIED,
        reason=models.DenyReason.ROOM_FULL,
        scanned_at=now - timedelta(minutes=28),
    )
    factory.scan(two, ada, controller=controller, scanned_at=now - timedelta(minutes=10))
    # when / then
    assert _anomalies(gql, event, token) == []


def test_offline_scan_counts_at_the_moment_the_device_saw_the_badge(gql, factory):
    # given: a scan seen 20 minutes ago at salle 1 reached the server only now; salle 2 granted
    # the same badge 18 minutes ago
    event, (one, two), controller, token = _site(factory)
    ada = factory.member(event, Role.PARTICIPANT)
    now = factory.now
    late = factory.scan(
        one,
        ada,
        controller=controller,
        scanned_at=now,
        client_scanned_at=now - timedelta(minutes=20),
    )
    online = factory.scan(two, ada, controller=controller, scanned_at=now - timedelta(minutes=18))
    # when
    found = _anomalies(gql, event, token)
    # then: ordered by the device's time, salle 1 came first
    assert [(f["first"]["id"], f["second"]["id"]) for f in found] == [
        (gid("RoomAccess", late), gid("RoomAccess", online))
    ]


def test_other_events_scans_are_not_mixed_in(gql, factory):
    event, (one, _), controller, token = _site(factory)
    other, (far,), other_controller, _ = _site(factory, rooms=1)
    ada = factory.member(event, Role.PARTICIPANT)
    factory.scan(one, ada, controller=controller, scanned_at=factory.now - timedelta(minutes=2))
    factory.scan(far, ada, controller=other_controller, scanned_at=factory.now)
    assert _anomalies(gql, event, token) == []


@pytest.mark.parametrize(("within", "_case"), [(0, "zero"), (-5, "negative"), (1441, "over a day")])
def test_window_out_of_range_is_bad_user_input(gql, factory, within, _case):
    event, _, _, token = _site(factory)
    body = gql(ANOMALIES, {"id": gid("Event", event), "within": within}, token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "withinMinutes" in body["errors"][0]["message"]
    assert body["data"]["event"]["badgeAnomalies"] is None
