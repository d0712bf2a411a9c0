"""Member.exposantStats and the leads CSV: exact figures around local midnight, pagination,
emails by SCANNED_BY_ME, refusals, and a statement count that does not grow with visits."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

import models
from models import Role
from tests.conftest import error_codes
from tests.factories import gid

PARIS = ZoneInfo("Europe/Paris")

EXPOSANT_STATS = """query($id: ID!, $first: Int, $after: String) {
  node(id: $id) { ... on Member { exposantStats {
    totalVisits todayVisits uniqueVisitors
    byHour { hour count }
    visits(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id scannedAt note participant { fullName company email } } }
    }
    csvUrl
  } } }
}"""

TOTALS = """query($id: ID!) { node(id: $id) { ... on Member { exposantStats {
  totalVisits todayVisits uniqueVisitors byHour { hour count } } } } }"""

REFUSED = (
    "Only admins, the event's organizer, gestionnaires des salles or exposants (their own) "
    "may do this (Member.exposantStats)."
)


def _at(day: datetime, hour: int, minute: int) -> datetime:
    """A wall-clock time in Paris on `day`'s date, as UTC."""
    return datetime.combine(day.date(), time(hour, minute), tzinfo=PARIS).astimezone(UTC)


def _salon(factory):
    """A Paris salon with one exposant who scanned Ada twice, Bob and Cleo around midnight."""
    president = factory.user(name="Présidente")
    event = factory.event(president=president, timezone="Europe/Paris")
    exposant = factory.member(event, Role.EXPOSANT, company="Stand A")
    ada = factory.member(
        event,
        Role.PARTICIPANT,
        user=factory.user(name="Ada", email="ada@example.org"),
        company="Analytical",
    )
    bob = factory.member(
        event, Role.PARTICIPANT, user=factory.user(name="Bob", email="bob@example.org")
    )
    cleo = factory.member(
        event, Role.PARTICIPANT, user=factory.user(name="Cléo", email="cleo@example.org")
    )
    today = datetime.now(UTC).astimezone(PARIS)
    midnight = datetime.combine(today.date(), time(0), tzinfo=PARIS).astimezone(UTC)
    two_days_ago = today - timedelta(days=2)
    visits = {
        "cleo": factory.visit(
            exposant, cleo, scanned_at=_at(two_days_ago, 14, 20), note="rappeler"
        ),
        "ada_before": factory.visit(exposant, ada, scanned_at=midnight - timedelta(minutes=1)),
        "bob_after": factory.visit(exposant, bob, scanned_at=midnight + timedelta(minutes=1)),
        "ada_again": factory.visit(exposant, ada, scanned_at=midnight + timedelta(minutes=30)),
    }
    return event, president, exposant, (ada, bob, cleo), visits, today


def _local_hour(day: datetime, hour: int) -> str:
    return datetime.combine(day.date(), time(hour), tzinfo=PARIS).isoformat()


def test_exposant_sees_its_figures_with_today_from_local_midnight(gql, factory):
    # given
    event, _, exposant, _, _, today = _salon(factory)
    # when
    stats = gql.ok(
        TOTALS,
        {"id": gid("Member", exposant)},
        factory.token(factory.db.get(models.User, exposant.user_id)),
    )["node"]["exposantStats"]
    # then: the visit one minute before Paris midnight is yesterday's, the one after is today's
    yesterday = today - timedelta(days=1)
    assert stats == {
        "totalVisits": 4,
        "todayVisits": 2,
        "uniqueVisitors": 3,
        "byHour": [
            {"hour": _local_hour(today - timedelta(days=2), 14), "count": 1},
            {"hour": _local_hour(yesterday, 23), "count": 1},
            {"hour": _local_hour(today, 0), "count": 2},
        ],
    }
    assert event.timezone == "Europe/Paris"


def test_visits_are_newest_first_with_names_emails_and_stable_cursors(gql, factory, db):
    # given
    _, _, exposant, (ada, bob, cleo), visits, _ = _salon(factory)
    token = factory.token(db.get(models.User, exposant.user_id))
    # when
    first = gql.ok(EXPOSANT_STATS, {"id": gid("Member", exposant), "first": 2}, token)
    # then
    connection = first["node"]["exposantStats"]["visits"]
    assert connection["totalCount"] == 4
    assert connection["pageInfo"]["hasNextPage"] is True
    assert connection["pageInfo"]["hasPreviousPage"] is False
    assert [e["node"]["id"] for e in connection["edges"]] == [
        gid("Visit", visits["ada_again"]),
        gid("Visit", visits["bob_after"]),
    ]
    assert connection["edges"][0]["node"]["participant"] == {
        "fullName": "Ada",
        "company": "Analytical",
        "email": "ada@example.org",
    }
    assert (
        first["node"]["exposantStats"]["csvUrl"]
        == f"/exposants/{gid('Member', exposant)}/visits.csv"
    )

    # when a new visit arrives, the next page still starts where the first ended
    factory.visit(exposant, cleo, scanned_at=models.utcnow() + timedelta(minutes=5))
    after = connection["pageInfo"]["endCursor"]
    second = gql.ok(
        EXPOSANT_STATS, {"id": gid("Member", exposant), "first": 2, "after": after}, token
    )
    # then
    page = second["node"]["exposantStats"]["visits"]
    assert [e["node"]["id"] for e in page["edges"]] == [
        gid("Visit", visits["ada_before"]),
        gid("Visit", visits["cleo"]),
    ]
    assert page["edges"][1]["node"]["note"] == "rappeler"
    assert page["edges"][1]["node"]["participant"]["email"] == "cleo@example.org"
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["pageInfo"]["hasPreviousPage"] is True
    assert page["totalCount"] == 5
    assert len(db.exec(select(models.Visit)).all()) == 5
    assert bob.id is not None


def test_first_is_capped_at_100_and_defaults_to_50(gql, factory, db):
    # given
    event = factory.event(timezone="Europe/Paris")
    exposant = factory.member(event, Role.EXPOSANT)
    people = factory.people(event, Role.PARTICIPANT, 120)
    factory.visits(exposant, people, start=models.utcnow() - timedelta(hours=3))
    token = factory.token(db.get(models.User, exposant.user_id))
    # when
    capped = gql.ok(EXPOSANT_STATS, {"id": gid("Member", exposant), "first": 500}, token)
    default = gql.ok(EXPOSANT_STATS, {"id": gid("Member", exposant)}, token)
    # then
    assert len(capped["node"]["exposantStats"]["visits"]["edges"]) == 100
    assert len(default["node"]["exposantStats"]["visits"]["edges"]) == 50
    assert default["node"]["exposantStats"]["visits"]["totalCount"] == 120


def test_a_bad_cursor_is_bad_user_input(gql, factory, db):
    _, _, exposant, _, _, _ = _salon(factory)
    token = factory.token(db.get(models.User, exposant.user_id))
    body = gql(EXPOSANT_STATS, {"id": gid("Member", exposant), "after": "not-a-cursor"}, token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert (
        body["errors"][0]["message"] == "The cursor 'not-a-cursor' is not one this list gave out."
    )


def test_hours_follow_a_half_hour_time_zone(gql, factory, db):
    # given: Kolkata is UTC+05:30, so 04:29 and 04:31 UTC fall in two local hours
    event = factory.event(timezone="Asia/Kolkata")
    exposant = factory.member(event, Role.EXPOSANT)
    visitor = factory.member(event, Role.PARTICIPANT)
    for hhmm in ((4, 29), (4, 31), (4, 59), (5, 29)):
        factory.visit(exposant, visitor, scanned_at=datetime(2026, 11, 20, *hhmm, tzinfo=UTC))
    # when
    stats = gql.ok(
        TOTALS,
        {"id": gid("Member", exposant)},
        factory.token(db.get(models.User, exposant.user_id)),
    )
    # then
    assert stats["node"]["exposantStats"]["byHour"] == [
        {"hour": "2026-11-20T09:00:00+05:30", "count": 1},
        {"hour": "2026-11-20T10:00:00+05:30", "count": 3},
    ]


@pytest.mark.parametrize("role", [Role.GESTIONNAIRE_DES_SALLES, "ORGANIZER", "ADMIN"])
def test_staff_read_an_exposants_stats_with_emails(gql, factory, db, role):
    # given
    event, president, exposant, _, _, _ = _salon(factory)
    if role == "ORGANIZER":
        viewer = president
    elif role == "ADMIN":
        viewer = factory.user(admin=True)
    else:
        viewer = db.get(models.User, factory.member(event, role).user_id)
    # when
    data = gql.ok(EXPOSANT_STATS, {"id": gid("Member", exposant)}, factory.token(viewer))
    # then
    stats = data["node"]["exposantStats"]
    assert (stats["totalVisits"], stats["todayVisits"], stats["uniqueVisitors"]) == (4, 2, 3)
    emails = [e["node"]["participant"]["email"] for e in stats["visits"]["edges"]]
    assert emails == ["ada@example.org", "bob@example.org", "ada@example.org", "cleo@example.org"]


@pytest.mark.parametrize(
    "_case", ["another exposant", "a participant", "a controller", "the exposant's visitor"]
)
def test_others_in_the_event_are_refused(gql, factory, db, _case):
    # given
    event, _, exposant, (ada, _, _), _, _ = _salon(factory)
    viewer_member = {
        "another exposant": lambda: factory.member(event, Role.EXPOSANT),
        "a participant": lambda: factory.member(event, Role.PARTICIPANT),
        "a controller": lambda: factory.member(event, Role.CONTROLLEUR_DES_BADGES),
        "the exposant's visitor": lambda: ada,
    }[_case]()
    token = factory.token(db.get(models.User, viewer_member.user_id))
    # when
    body = gql(EXPOSANT_STATS, {"id": gid("Member", exposant)}, token)
    # then: the field alone is null, with FORBIDDEN at its path
    assert body["data"] == {"node": {"exposantStats": None}}
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["message"] == REFUSED
    assert body["errors"][0]["path"] == ["node", "exposantStats"]


def test_outsiders_and_anonymous_are_refused(gql, factory):
    # given
    _, _, exposant, _, _, _ = _salon(factory)
    outsider = factory.member(factory.event(), Role.EXPOSANT)
    # when
    foreign = gql(
        EXPOSANT_STATS,
        {"id": gid("Member", exposant)},
        factory.token(factory.db.get(models.User, outsider.user_id)),
    )
    anonymous = gql(EXPOSANT_STATS, {"id": gid("Member", exposant)})
    # then
    assert error_codes(foreign) == ["NOT_FOUND"]
    assert foreign["errors"][0]["message"] == f"No member has the id {exposant.id}."
    assert error_codes(anonymous) == ["UNAUTHENTICATED"]


def test_exposant_stats_are_null_for_other_roles(gql, factory):
    event, president, _, (ada, _, _), _, _ = _salon(factory)
    data = gql.ok(TOTALS, {"id": gid("Member", ada)}, factory.token(president))
    assert data == {"node": {"exposantStats": None}}
    assert event.id is not None


def _statements_for(gql, factory, count_statements, n):
    event = factory.event(timezone="Europe/Paris")
    exposant = factory.member(event, Role.EXPOSANT)
    people = factory.people(event, Role.PARTICIPANT, n)
    factory.visits(
        exposant, people, start=models.utcnow() - timedelta(hours=30), step=timedelta(seconds=90)
    )
    token = factory.token(factory.db.get(models.User, exposant.user_id))
    with count_statements() as statements:
        data = gql.ok(EXPOSANT_STATS, {"id": gid("Member", exposant), "first": 50}, token)
    stats = data["node"]["exposantStats"]
    assert stats["totalVisits"] == n
    assert len(stats["visits"]["edges"]) == min(n, 50)
    assert all(e["node"]["participant"]["email"] for e in stats["visits"]["edges"])
    return len(statements)


def test_the_whole_exposant_request_runs_a_fixed_small_number_of_statements(
    gql, factory, count_statements
):
    small = _statements_for(gql, factory, count_statements, 10)
    large = _statements_for(gql, factory, count_statements, 1000)
    assert small == large
    assert large <= 12, large


# --- The leads CSV -------------------------------------------------------------------------


def _csv(client, url, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(url, headers=headers)


def test_leads_csv_parses_back_with_names_emails_and_safe_cells(client, gql, factory, db):
    # given
    _, _, exposant, (ada, bob, cleo), visits, _ = _salon(factory)
    mallory = factory.member(
        exposant_event := db.get(models.Event, exposant.event_id),
        Role.PARTICIPANT,
        user=factory.user(name='=HYPERLINK("http://evil")', email="m@example.org"),
        company="+33 1 23",
    )
    late = factory.visit(
        exposant,
        mallory,
        # The newest of all, whatever the hour: ada_again is at 00:30 Paris time, ahead of
        # "now" in the first half hour of the day.
        scanned_at=max(models.utcnow(), visits["ada_again"].scanned_at) + timedelta(minutes=10),
        note='-2+3, then "quoted"\nsecond line',
    )
    token = factory.token(db.get(models.User, exposant.user_id))
    url = gql.ok(EXPOSANT_STATS, {"id": gid("Member", exposant)}, token)["node"]["exposantStats"][
        "csvUrl"
    ]
    # when
    response = _csv(client, url, token)
    # then
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "private, no-store"
    # A byte-order mark first, so that spreadsheets on Windows read UTF-8 (accents intact).
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["scanned_at", "full_name", "email", "company", "note", "rating", "tags"]
    zone = ZoneInfo(exposant_event.timezone)
    expected = [
        (
            late,
            '\'=HYPERLINK("http://evil")',
            "m@example.org",
            "'+33 1 23",
            '\'-2+3, then "quoted"\nsecond line',
        ),
        (visits["ada_again"], "Ada", "ada@example.org", "Analytical", ""),
        (visits["bob_after"], "Bob", "bob@example.org", "", ""),
        (visits["ada_before"], "Ada", "ada@example.org", "Analytical", ""),
        (visits["cleo"], "Cléo", "cleo@example.org", "", "rappeler"),
    ]
    assert rows[1:] == [
        [v.scanned_at.astimezone(zone).isoformat(), name, email, company, note, "", ""]
        for v, name, email, company, note in expected
    ]
    assert (ada.id, bob.id, cleo.id) != (None, None, None)


def test_leads_csv_streams_thousands_of_rows(client, factory, db):
    event = factory.event(timezone="America/New_York")
    exposant = factory.member(event, Role.EXPOSANT)
    people = factory.people(event, Role.PARTICIPANT, 2500)
    factory.visits(exposant, people, start=models.utcnow() - timedelta(hours=10))
    response = _csv(
        client,
        f"/exposants/{gid('Member', exposant)}/visits.csv",
        factory.token(db.get(models.User, exposant.user_id)),
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert response.status_code == 200
    assert len(rows) == 2501
    newest = db.get(models.User, people[-1].user_id)
    oldest = db.get(models.User, people[0].user_id)
    assert rows[1][1:3] == [newest.full_name, newest.email]
    assert rows[-1][1:3] == [oldest.full_name, oldest.email]
    assert len({r[2] for r in rows[1:]}) == 2500


def test_leads_csv_is_refused_like_the_field(client, factory, db):
    # given
    event, president, exposant, (ada, _, _), _, _ = _salon(factory)
    url = f"/exposants/{gid('Member', exposant)}/visits.csv"
    rival = factory.member(event, Role.EXPOSANT)
    outsider = factory.user()
    factory.member(factory.event(), Role.EXPOSANT, user=outsider)
    # when / then
    anonymous = _csv(client, url)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    message = "Log in first: this needs an access token."
    assert anonymous.json() == {
        "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}],
        "error": {"code": "UNAUTHENTICATED", "message": message},
    }
    for member in (rival, ada):
        refused = _csv(client, url, factory.token(db.get(models.User, member.user_id)))
        assert refused.status_code == 403
        assert refused.json()["error"] == {
            "code": "FORBIDDEN",
            "message": "Only admins, the event's organizer, gestionnaires des salles or "
            "exposants (their own) may download these leads.",
        }
    foreign = _csv(client, url, factory.token(outsider))
    assert foreign.status_code == 404
    assert foreign.json()["error"] == {
        "code": "NOT_FOUND",
        "message": f"No member has the id {exposant.id}.",
    }
    wrong_kind = _csv(
        client, f"/exposants/{gid('Event', event)}/visits.csv", factory.token(president)
    )
    assert wrong_kind.status_code == 404
    assert _csv(client, url, factory.token(president)).status_code == 200
    assert _csv(client, url, "garbage-token").status_code == 401
