"""Event.stats and the scan-log CSV: exact figures, paid no-shows, refusals, statement counts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

import models
from models import DenyReason, PaymentStatus, Role, ScanStatus, SessionKind
from tests.conftest import error_codes
from tests.factories import gid

EVENT_STATS = """query($id: ID!) { event(id: $id) { stats {
  members checkedIn totalScans denied
  scansByHour { hour count }
  sessions { session { title } attendance capacity noShows }
  scansCsvUrl
} } }"""


def _utc(day: int, hh: int, mm: int) -> datetime:
    return datetime(2026, 6, day, hh, mm, tzinfo=UTC)


def _congress(factory):
    """A congress in New York (EDT, UTC-4 in June): a conference and a paid atelier."""
    president = factory.user()
    event = factory.event(president=president, timezone="America/New_York")
    amphi = factory.room(event, name="Amphi", capacity=100)
    salle = factory.room(event, name="Salle 2", capacity=12)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES, user=factory.user(name="Carl"))
    people = {
        name: factory.member(
            event,
            Role.PARTICIPANT,
            user=factory.user(name=name, email=f"{name.lower()}@example.org"),
        )
        for name in ("Ada", "Bob", "Cleo", "Dan", "Eve")
    }
    keynote = factory.session(
        amphi, title="Keynote", starts_at=_utc(10, 13, 0), ends_at=_utc(10, 14, 0)
    )
    atelier = factory.session(
        salle,
        title="Atelier payant",
        kind=SessionKind.ATELIER,
        price=Decimal("30"),
        starts_at=_utc(10, 15, 0),
        ends_at=_utc(10, 17, 0),
    )
    # Ada, Bob and Cleo paid; Dan is pending; only Ada came.
    for name, status in (
        ("Ada", PaymentStatus.PAID),
        ("Bob", PaymentStatus.PAID),
        ("Cleo", PaymentStatus.PAID),
        ("Dan", PaymentStatus.PENDING),
    ):
        factory.access(atelier, people[name], status)

    def scan(room, who, at, session, status=ScanStatus.GRANTED, reason=None):
        return factory.scan(
            room,
            people[who] if who else None,
            controller=controller,
            status=status,
            reason=reason,
            session=session,
            scanned_at=at,
        )

    log = [
        scan(amphi, "Ada", _utc(10, 12, 55), keynote),  # 08:55 EDT
        scan(amphi, "Bob", _utc(10, 13, 1), keynote),  # 09:01
        scan(amphi, "Ada", _utc(10, 13, 30), keynote),  # 09:30, re-entry
        scan(amphi, None, _utc(10, 13, 40), keynote, ScanStatus.DENIED, DenyReason.UNKNOWN_BADGE),
        scan(salle, "Ada", _utc(10, 15, 2), atelier),  # 11:02
        scan(salle, "Dan", _utc(10, 15, 3), atelier, ScanStatus.DENIED, DenyReason.NOT_PAID),
        scan(salle, "Eve", _utc(10, 15, 4), atelier, ScanStatus.DENIED, DenyReason.NOT_PAID),
    ]
    return event, president, controller, people, log


def test_organizer_reads_the_event_at_a_glance(gql, factory):
    # given
    event, president, _, _, _ = _congress(factory)
    # when
    stats = gql.ok(EVENT_STATS, {"id": gid("Event", event)}, factory.token(president))
    # then
    assert stats["event"]["stats"] == {
        "members": 6,
        "checkedIn": 2,
        "totalScans": 7,
        "denied": 3,
        "scansByHour": [
            {"hour": "2026-06-10T08:00:00-04:00", "count": 1},
            {"hour": "2026-06-10T09:00:00-04:00", "count": 3},
            {"hour": "2026-06-10T11:00:00-04:00", "count": 3},
        ],
        "sessions": [
            {"session": {"title": "Keynote"}, "attendance": 2, "capacity": 100, "noShows": 0},
            {
                "session": {"title": "Atelier payant"},
                "attendance": 1,
                "capacity": 12,
                "noShows": 2,
            },
        ],
        "scansCsvUrl": f"/events/{gid('Event', event)}/scans.csv",
    }


def test_event_stats_of_an_empty_event_are_zero(gql, factory):
    president = factory.user()
    event = factory.event(president=president)
    stats = gql.ok(EVENT_STATS, {"id": gid("Event", event)}, factory.token(president))
    assert stats["event"]["stats"]["members"] == 0
    assert stats["event"]["stats"]["checkedIn"] == 0
    assert stats["event"]["stats"]["scansByHour"] == []
    assert stats["event"]["stats"]["sessions"] == []


@pytest.mark.parametrize("_case", ["controller", "participant", "exposant"])
def test_event_stats_refused_to_other_members(gql, factory, _case):
    # given
    event, _, controller, people, _ = _congress(factory)
    viewer = {
        "controller": controller,
        "participant": people["Ada"],
        "exposant": factory.member(event, Role.EXPOSANT),
    }[_case]
    # when
    body = gql(
        EVENT_STATS,
        {"id": gid("Event", event)},
        factory.token(factory.db.get(models.User, viewer.user_id)),
    )
    # then
    assert body["data"] == {"event": {"stats": None}}
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["message"] == (
        "Only admins, the event's organizer or gestionnaires des salles may do this (Event.stats)."
    )


def test_gestionnaire_and_admin_read_event_stats(gql, factory):
    event, _, _, _, _ = _congress(factory)
    gestionnaire = factory.member(event, Role.GESTIONNAIRE_DES_SALLES)
    for user in (factory.db.get(models.User, gestionnaire.user_id), factory.user(admin=True)):
        stats = gql.ok(EVENT_STATS, {"id": gid("Event", event)}, factory.token(user))
        assert stats["event"]["stats"]["totalScans"] == 7


def _event_statements(gql, factory, count_statements, n):
    president = factory.user()
    event = factory.event(president=president, timezone="Europe/Paris")
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    people = factory.people(event, Role.PARTICIPANT, n)
    for r in range(3):
        room = factory.room(event)
        atelier = factory.session(
            room,
            kind=SessionKind.ATELIER,
            price=Decimal("10"),
            starts_at=models.utcnow() - timedelta(hours=r + 1),
        )
        factory.db.add_all(
            models.SessionAccess(
                session_id=atelier.id, member_id=p.id, payment_status=PaymentStatus.PAID
            )
            for p in people
        )
        factory.db.commit()
        factory.scans(
            room,
            people[: n // 2],
            controller=controller,
            session=atelier,
            step=timedelta(seconds=30),
        )
    with count_statements() as statements:
        stats = gql.ok(EVENT_STATS, {"id": gid("Event", event)}, factory.token(president))
    stats = stats["event"]["stats"]
    assert stats["totalScans"] == 3 * (n // 2)
    assert [s["noShows"] for s in stats["sessions"]] == [n - n // 2] * 3
    return len(statements)


def test_event_stats_run_a_fixed_small_number_of_statements(gql, factory, count_statements):
    small = _event_statements(gql, factory, count_statements, 10)
    large = _event_statements(gql, factory, count_statements, 1000)
    assert small == large
    assert large <= 8, large


# --- The scan-log CSV ------------------------------------------------------------------------


def _get(client, url, token=None):
    return client.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})


def test_scan_log_csv_parses_back_newest_first(client, gql, factory):
    # given
    event, president, _, _, _ = _congress(factory)
    url = gql.ok(EVENT_STATS, {"id": gid("Event", event)}, factory.token(president))["event"][
        "stats"
    ]["scansCsvUrl"]
    # when
    response = _get(client, url, factory.token(president))
    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    # A byte-order mark first, so that spreadsheets on Windows read UTF-8 (accents intact).
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [
        [
            "scanned_at",
            "client_scanned_at",
            "room",
            "session",
            "member",
            "member_email",
            "status",
            "reason",
            "controller",
        ],
        [
            "2026-06-10T11:04:00-04:00",
            "",
            "Salle 2",
            "Atelier payant",
            "Eve",
            "eve@example.org",
            "DENIED",
            "NOT_PAID",
            "Carl",
        ],
        [
            "2026-06-10T11:03:00-04:00",
            "",
            "Salle 2",
            "Atelier payant",
            "Dan",
            "dan@example.org",
            "DENIED",
            "NOT_PAID",
            "Carl",
        ],
        [
            "2026-06-10T11:02:00-04:00",
            "",
            "Salle 2",
            "Atelier payant",
            "Ada",
            "ada@example.org",
            "GRANTED",
            "",
            "Carl",
        ],
        [
            "2026-06-10T09:40:00-04:00",
            "",
            "Amphi",
            "Keynote",
            "",
            "",
            "DENIED",
            "UNKNOWN_BADGE",
            "Carl",
        ],
        [
            "2026-06-10T09:30:00-04:00",
            "",
            "Amphi",
            "Keynote",
            "Ada",
            "ada@example.org",
            "GRANTED",
            "",
            "Carl",
        ],
        [
            "2026-06-10T09:01:00-04:00",
            "",
            "Amphi",
            "Keynote",
            "Bob",
            "bob@example.org",
            "GRANTED",
            "",
            "Carl",
        ],
        [
            "2026-06-10T08:55:00-04:00",
            "",
            "Amphi",
            "Keynote",
            "Ada",
            "ada@example.org",
            "GRANTED",
            "",
            "Carl",
        ],
    ]


def test_scan_log_csv_neutralises_formulas(client, factory):
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event, name="@SUM(A1:A9)")
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES, user=factory.user(name="-Carl"))
    guest = factory.member(
        event, Role.PARTICIPANT, user=factory.user(name="\tTab", email="t@example.org")
    )
    factory.scan(room, guest, controller=controller)
    rows = list(
        csv.reader(
            io.StringIO(
                _get(
                    client, f"/events/{gid('Event', event)}/scans.csv", factory.token(president)
                ).text
            )
        )
    )
    assert rows[1][2] == "'@SUM(A1:A9)"
    assert rows[1][4] == "'\tTab"
    assert rows[1][8] == "'-Carl"


def test_scan_log_csv_is_refused_like_event_stats(client, factory):
    # given
    event, president, controller, people, _ = _congress(factory)
    url = f"/events/{gid('Event', event)}/scans.csv"
    stranger = factory.user()
    factory.member(factory.event(), Role.GESTIONNAIRE_DES_SALLES, user=stranger)
    # when / then
    assert _get(client, url).status_code == 401
    for member in (controller, people["Ada"]):
        refused = _get(client, url, factory.token(factory.db.get(models.User, member.user_id)))
        assert refused.status_code == 403
        assert refused.json()["error"] == {
            "code": "FORBIDDEN",
            "message": "Only admins, the event's organizer or gestionnaires des salles may "
            "download the scan log.",
        }
    foreign = _get(client, url, factory.token(stranger))
    assert foreign.status_code == 404
    assert foreign.json()["error"] == {
        "code": "NOT_FOUND",
        "message": f"No event has the id {event.id}.",
    }
    assert _get(client, "/events/nonsense/scans.csv", factory.token(president)).status_code == 404
    gestionnaire = factory.member(event, Role.GESTIONNAIRE_DES_SALLES)
    assert (
        _get(
            client, url, factory.token(factory.db.get(models.User, gestionnaire.user_id))
        ).status_code
        == 200
    )
