"""syncScans: offline scans uploaded later, each judged as of its own scannedAt; duplicates
reported and skipped; a bad item reported without losing the others; a bounded batch."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

import models
from models import Role, ScanStatus
from tests.api.test_scan_badge import _door, _log, _scan
from tests.conftest import error_codes
from tests.factories import gid

SYNC = """mutation($scans: [ScanInput!]!) {
  syncScans(scans: $scans) {
    accepted duplicates
    results { status reason duplicate member { id } session { id } room { id }
              access { id clientScannedAt controller { id } } }
    rejected { index clientScanId code message }
  }
}"""


def _item(room, code, at, scan_id):
    return {
        "roomId": gid("Room", room),
        "code": code,
        "scannedAt": at.isoformat(),
        "clientScanId": scan_id,
    }


def test_mixed_batch_is_judged_item_by_item(gql, factory, db):
    # given: the controller holds the door since 40 minutes ago; a session runs since 30
    now = factory.now
    door = _door(factory)
    db.delete(db.exec(select(models.RoomAssignment)).one())
    db.commit()
    factory.assignment(door.controller, door.room, starts_at=now - timedelta(minutes=40))
    ada, bob = (factory.member(door.event, Role.PARTICIPANT) for _ in range(2))
    ada_code, bob_code = factory.badge(ada).code, factory.badge(bob).code
    online = _scan(gql, door, ada_code, clientScanId="dev-1")["data"]["scanBadge"]
    before = len(_log(db))
    batch = [
        _item(door.room, bob_code, now - timedelta(minutes=20), "dev-2"),  # valid
        _item(door.room, ada_code, now - timedelta(minutes=25), "dev-1"),  # already recorded
        _item(door.room, "AGB-who-knows", now - timedelta(minutes=19), "dev-3"),  # unknown badge
        _item(door.room, bob_code, now - timedelta(minutes=50), "dev-4"),  # before the assignment
        _item(door.room, bob_code, now - timedelta(minutes=18), "dev-2"),  # repeated in the batch
    ]
    # when
    report = gql.ok(SYNC, {"scans": batch}, door.token)["syncScans"]
    # then
    assert (report["accepted"], report["duplicates"]) == (2, 2)
    results = report["results"]
    assert [(r["status"], r["reason"], r["duplicate"]) for r in results] == [
        ("GRANTED", None, False),
        ("GRANTED", None, True),
        ("DENIED", "UNKNOWN_BADGE", False),
        ("GRANTED", None, True),
    ]
    assert results[0]["member"] == {"id": gid("Member", bob)}
    assert results[0]["session"] == {"id": gid("Session", door.session)}
    assert results[0]["access"]["controller"] == {"id": gid("Member", door.controller)}
    assert results[1]["access"]["id"] == online["access"]["id"]
    assert results[3]["access"]["id"] == results[0]["access"]["id"]
    [rejected] = report["rejected"]
    assert (rejected["index"], rejected["clientScanId"], rejected["code"]) == (
        3,
        "dev-4",
        "FORBIDDEN",
    )
    assert "not allowed to scan" in rejected["message"]
    rows = _log(db)
    assert len(rows) == before + 2
    new = {r.client_scan_id: r for r in rows[before:]}
    assert set(new) == {"dev-2", "dev-3"}
    assert new["dev-2"].client_scanned_at == now - timedelta(minutes=20)
    assert new["dev-3"].reason == "UNKNOWN_BADGE"


def test_each_scan_is_judged_as_of_its_own_time(gql, factory, db):
    # given: a session that ended an hour ago, none now
    now = factory.now
    door = _door(factory, starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1))
    db.delete(db.exec(select(models.RoomAssignment)).one())
    db.commit()
    factory.assignment(
        door.controller,
        door.room,
        starts_at=now - timedelta(hours=4),
        ends_at=now + timedelta(hours=1),
    )
    ada = factory.member(door.event, Role.PARTICIPANT)
    code = factory.badge(ada).code
    # when
    report = gql.ok(
        SYNC,
        {
            "scans": [
                _item(door.room, code, now - timedelta(hours=2), "a"),
                _item(door.room, code, now - timedelta(minutes=10), "b"),
            ]
        },
        door.token,
    )["syncScans"]
    # then
    assert [(r["status"], r["reason"]) for r in report["results"]] == [
        ("GRANTED", None),
        ("DENIED", "NO_SESSION"),
    ]
    assert report["results"][0]["session"] == {"id": gid("Session", door.session)}
    db.refresh(ada)
    assert ada.checked_in_at == now - timedelta(hours=2)


def test_a_late_offline_scan_moves_check_in_earlier(gql, factory, db):
    door = _door(factory)
    ada = factory.member(door.event, Role.PARTICIPANT)
    code = factory.badge(ada).code
    _scan(gql, door, code)
    earlier = factory.now - timedelta(minutes=5)
    gql.ok(SYNC, {"scans": [_item(door.room, code, earlier, "x")]}, door.token)
    db.refresh(ada)
    assert ada.checked_in_at == earlier


def test_scan_from_the_future_is_rejected_and_the_others_kept(gql, factory, db):
    door = _door(factory)
    door.event.timezone = "Europe/Paris"
    db.add(door.event)
    db.commit()
    ada = factory.member(door.event, Role.PARTICIPANT)
    code = factory.badge(ada).code
    scans = [
        _item(door.room, code, factory.now + timedelta(hours=2), "future"),
        _item(door.room, code, factory.now + timedelta(minutes=2), "slightly-ahead"),
    ]
    report = gql.ok(SYNC, {"scans": scans}, door.token)["syncScans"]
    assert report["accepted"] == 1
    [rejected] = report["rejected"]
    assert (rejected["index"], rejected["code"]) == (0, "BAD_USER_INPUT")
    assert "device's clock" in rejected["message"]
    # Both times on the event's wall clock, its zone named.
    assert rejected["message"].count("Europe/Paris") == 2
    assert [r.client_scan_id for r in _log(db)] == ["slightly-ahead"]


def test_unknown_room_is_rejected_and_the_others_kept(gql, factory, db):
    door = _door(factory)
    other = _door(factory)
    scans = [
        _item(other.room, "AGB-x", factory.now, "elsewhere"),
        {"roomId": "bm9uc2Vuc2U", "code": "AGB-x", "clientScanId": "garbled"},
        _item(door.room, "AGB-x", factory.now, "here"),
    ]
    report = gql.ok(SYNC, {"scans": scans}, door.token)["syncScans"]
    assert [(r["index"], r["code"]) for r in report["rejected"]] == [
        (0, "NOT_FOUND"),
        (1, "NOT_FOUND"),
    ]
    assert [r.client_scan_id for r in _log(db)] == ["here"]


def test_batch_above_the_maximum_is_refused_whole(gql, factory, db, settings):
    door = _door(factory)
    scans = [
        _item(door.room, "AGB-x", factory.now, f"id-{i}")
        for i in range(settings.max_sync_batch + 1)
    ]
    body = gql(SYNC, {"scans": scans}, door.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == (
        f"A sync carries at most {settings.max_sync_batch} scans; "
        f"split these {settings.max_sync_batch + 1} into several calls."
    )
    assert _log(db) == []


def test_empty_batch_is_bad_input(gql, factory, db):
    door = _door(factory)
    body = gql(SYNC, {"scans": []}, door.token)
    assert error_codes(body) == ["BAD_USER_INPUT"]


def test_batch_with_no_scan_the_viewer_could_make_is_forbidden(gql, factory, db):
    # given: a participant and a controller never assigned to the room
    door = _door(factory)
    outsider = factory.member(door.event, Role.CONTROLLEUR_DES_BADGES)
    token = factory.token(db.get(models.User, outsider.user_id))
    # when
    body = gql(SYNC, {"scans": [_item(door.room, "AGB-x", factory.now, "a")]}, token)
    # then
    assert error_codes(body) == ["FORBIDDEN"]
    assert _log(db) == []


def test_capacity_is_held_within_a_batch(gql, factory, db):
    door = _door(factory, capacity=2)
    members = [factory.member(door.event, Role.PARTICIPANT) for _ in range(3)]
    scans = [
        _item(door.room, factory.badge(m).code, factory.now - timedelta(minutes=5 - i), f"s{i}")
        for i, m in enumerate(members)
    ]
    report = gql.ok(SYNC, {"scans": scans}, door.token)["syncScans"]
    assert [r["reason"] for r in report["results"]] == [None, None, "ROOM_FULL"]
    granted = db.exec(
        select(models.RoomAccess.member_id)
        .where(models.RoomAccess.status == ScanStatus.GRANTED)
        .order_by(col(models.RoomAccess.id))
    ).all()
    assert granted == [members[0].id, members[1].id]


def test_scan_without_time_zone_is_rejected_and_the_others_kept(gql, factory, db):
    door = _door(factory)
    scans = [
        {
            "roomId": gid("Room", door.room),
            "code": "AGB-x",
            "scannedAt": "2026-01-02T03:04:05",
            "clientScanId": "naive",
        },
        _item(door.room, "AGB-x", factory.now, "aware"),
    ]
    report = gql.ok(SYNC, {"scans": scans}, door.token)["syncScans"]
    assert [(r["index"], r["code"]) for r in report["rejected"]] == [(0, "BAD_USER_INPUT")]
    assert [r.client_scan_id for r in _log(db)] == ["aware"]
