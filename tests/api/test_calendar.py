"""The programme as an iCalendar feed at Event.icalUrl."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from models import Role, SessionKind
from tests.factories import gid

ICAL_URL = """query($id: ID!) { event(id: $id) { icalUrl } }"""


def test_programme_feed_parses_back_with_one_vevent_per_session(gql, factory, db, client):
    # given an event in Paris with two sessions in two rooms
    president = factory.user()
    start = datetime(2027, 6, 10, 6, 0, tzinfo=ZoneInfo("UTC"))
    event = factory.event(
        president=president,
        timezone="Europe/Paris",
        name="Salon d'été",
        starts_at=start,
        ends_at=start + timedelta(days=2),
    )
    amphi = factory.room(event, name="Amphi", location="RDC")
    atelier = factory.room(event, name="Salle 3")
    keynote = factory.session(
        amphi, title="Ouverture", starts_at=start + timedelta(hours=1), speaker_name="Claire"
    )
    factory.session(
        atelier, title="Atelier", kind=SessionKind.ATELIER, starts_at=start + timedelta(hours=3)
    )
    member = factory.member(event, Role.PARTICIPANT)
    token = factory.token(db.get(type(president), member.user_id))
    url = gql.ok(ICAL_URL, {"id": gid("Event", event)}, token)["event"]["icalUrl"]
    # when
    response = client.get(url, headers={"Authorization": f"Bearer {token}"})
    # then
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert str(cal["version"]) == "2.0"
    assert [str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    vevents = cal.walk("VEVENT")
    assert [str(v["summary"]) for v in vevents] == ["Ouverture", "Atelier"]
    first = vevents[0]
    assert str(first["location"]) == "Amphi — RDC"
    assert first["dtstart"].params["TZID"] == "Europe/Paris"
    assert first["dtstart"].dt == keynote.starts_at
    assert first["dtstart"].dt.utcoffset() == timedelta(hours=2)  # summer time in Paris
    assert first["dtend"].dt == keynote.ends_at
    assert "Claire" in str(first["description"])
    assert str(vevents[1]["location"]) == "Salle 3"
    assert len({str(v["uid"]) for v in vevents}) == 2


def test_feed_accepts_the_token_as_a_query_parameter(factory, db, client):
    president = factory.user()
    event = factory.event(president=president)
    response = client.get(
        f"/events/{gid('Event', event)}/programme.ics", params={"token": factory.token(president)}
    )
    assert response.status_code == 200
    assert Calendar.from_ical(response.content).walk("VEVENT") == []


def test_feed_needs_a_token_and_membership(factory, db, client):
    event = factory.event(president=factory.user())
    url = f"/events/{gid('Event', event)}/programme.ics"
    assert client.get(url).status_code == 401
    assert client.get(url, params={"token": "forged"}).status_code == 401
    outsider = factory.user()
    assert (
        client.get(url, headers={"Authorization": f"Bearer {factory.token(outsider)}"}).status_code
        == 404
    )
    assert (
        client.get(
            "/events/RXZlbnQ6OTk5/programme.ics",
            headers={"Authorization": f"Bearer {factory.token(outsider)}"},
        ).status_code
        == 404
    )
