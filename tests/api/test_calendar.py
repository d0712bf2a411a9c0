"""The programme as an iCalendar feed at Event.icalUrl, opened by a feed token of its own;
access tokens are refused in any address."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import select
from starlette.websockets import WebSocketDisconnect

import models
from kernel import security
from models import Role, SessionKind
from tests.conftest import error_codes
from tests.factories import gid

ICAL_URL = """query($id: ID!) { event(id: $id) { icalUrl } }"""
ROTATE = """mutation($id: ID!) { rotateCalendarToken(eventId: $id) { icalUrl } }"""
# The path of the event's feed with a token of 256 bits (base64url, no padding).
FEED_URL = r"/events/{}/programme\.ics\?token=[A-Za-z0-9_-]{{43}}"
NOT_A_FEED = "This calendar address is not valid, or no longer"


def _feed_token(url: str) -> str:
    [token] = parse_qs(urlsplit(url).query)["token"]
    return token


def _member_token(factory, db, event, role=Role.PARTICIPANT):
    member = factory.member(event, role)
    return factory.token(db.get(models.User, member.user_id))


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
    assert re.fullmatch(FEED_URL.format(gid("Event", event)), url)
    # when a calendar app, which sends no header, reads it
    response = client.get(url)
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


def test_the_feed_address_is_the_viewers_own_and_the_same_on_every_read(gql, factory, db):
    # given two members of one event, and one of them in another event too
    event, other = factory.event(president=factory.user()), factory.event()
    ada = factory.member(event, Role.PARTICIPANT)
    ada_token = factory.token(db.get(models.User, ada.user_id))
    factory.member(other, Role.EXPOSANT, user=db.get(models.User, ada.user_id))
    bob_token = _member_token(factory, db, event, Role.EXPOSANT)
    # when each reads the addresses of the events they belong to
    events = gql.ok("{ events { id icalUrl } }", token=ada_token)["events"]
    first = {e["id"]: e["icalUrl"] for e in events}
    again = gql.ok(ICAL_URL, {"id": gid("Event", event)}, ada_token)["event"]["icalUrl"]
    bobs = gql.ok(ICAL_URL, {"id": gid("Event", event)}, bob_token)["event"]["icalUrl"]
    # then each is the event's feed with a token of the viewer's own, stable, per event
    assert set(first) == {gid("Event", event), gid("Event", other)}
    for event_id, url in first.items():
        assert re.fullmatch(FEED_URL.format(event_id), url)
    assert again == first[gid("Event", event)]
    assert len({_feed_token(u) for u in [*first.values(), bobs]}) == 3
    # Only digests of the tokens are stored, one row per user and event.
    feeds = db.exec(select(models.CalendarFeed)).all()
    assert len(feeds) == 3
    stored = {f.token_hash for f in feeds}
    assert stored == {security.digest(_feed_token(u)) for u in [*first.values(), bobs]}
    for feed in feeds:
        assert _feed_token(again) not in (feed.nonce, feed.token_hash)


def test_a_feed_token_opens_its_own_feed_and_nothing_else(gql, factory, db, client):
    # given a member's feed address of one event
    president = factory.user()
    event, other = factory.event(president=president), factory.event(president=president)
    token = _member_token(factory, db, event)
    url = gql.ok(ICAL_URL, {"id": gid("Event", event)}, token)["event"]["icalUrl"]
    feed_token = _feed_token(url)
    assert client.get(url).status_code == 200
    # when its token is tried for another event's feed, as a bearer token, on other routes
    another_feed = client.get(
        f"/events/{gid('Event', other)}/programme.ics", params={"token": feed_token}
    )
    as_bearer = client.post(
        "/graphql",
        json={"query": "{ me { email } }"},
        headers={"Authorization": f"Bearer {feed_token}"},
    )
    scans = client.get(f"/events/{gid('Event', event)}/scans.csv", params={"token": feed_token})
    # then it opens none of them
    assert another_feed.status_code == 401
    assert another_feed.json()["error"]["code"] == "UNAUTHENTICATED"
    assert NOT_A_FEED in another_feed.json()["error"]["message"]
    assert error_codes(as_bearer.json()) == ["UNAUTHENTICATED"]
    assert scans.status_code == 401
    assert scans.json()["error"]["code"] == "UNAUTHENTICATED"


def test_rotating_the_token_ends_the_old_address(gql, factory, db, client):
    # given a member's feed address, and another member's
    event = factory.event(president=factory.user())
    token = _member_token(factory, db, event)
    other_token = _member_token(factory, db, event)
    old = gql.ok(ICAL_URL, {"id": gid("Event", event)}, token)["event"]["icalUrl"]
    others = gql.ok(ICAL_URL, {"id": gid("Event", event)}, other_token)["event"]["icalUrl"]
    # when the member makes a new one
    new = gql.ok(ROTATE, {"id": gid("Event", event)}, token)["rotateCalendarToken"]["icalUrl"]
    # then the new address works, the old one no longer, the other member's still
    assert re.fullmatch(FEED_URL.format(gid("Event", event)), new)
    assert new != old
    assert gql.ok(ICAL_URL, {"id": gid("Event", event)}, token)["event"]["icalUrl"] == new
    assert client.get(new).status_code == 200
    refused = client.get(old)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "UNAUTHENTICATED"
    assert NOT_A_FEED in refused.json()["error"]["message"]
    assert client.get(others).status_code == 200
    stored = {f.token_hash for f in db.exec(select(models.CalendarFeed)).all()}
    assert stored == {security.digest(_feed_token(new)), security.digest(_feed_token(others))}


def test_only_members_rotate_their_token(gql, factory, db):
    event = factory.event(president=factory.user())
    assert error_codes(gql(ROTATE, {"id": gid("Event", event)})) == ["UNAUTHENTICATED"]
    outsider = factory.token(factory.user())
    refused = gql(ROTATE, {"id": gid("Event", event)}, outsider)
    assert error_codes(refused) == ["NOT_FOUND"]
    assert refused["data"] == {"rotateCalendarToken": None}
    assert db.exec(select(models.CalendarFeed)).all() == []


def test_a_feed_stops_with_its_membership(gql, factory, db, client):
    event = factory.event(president=factory.user())
    member = factory.member(event, Role.PARTICIPANT)
    token = factory.token(db.get(models.User, member.user_id))
    url = gql.ok(ICAL_URL, {"id": gid("Event", event)}, token)["event"]["icalUrl"]
    db.delete(factory.badge(member))
    db.delete(member)
    db.commit()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/events/{event}/programme.ics", "token"),
        ("/events/{event}/scans.csv", "token"),
        ("/files/{event}", "token"),
        ("/healthz", "token"),
        ("/graphql?query=%7B__typename%7D", "token"),
        ("/events/{event}/programme.ics", "access_token"),
    ],
)
def test_an_access_token_in_the_address_is_refused_on_every_route(factory, client, path, param):
    # given a valid access token of the event's president
    president = factory.user()
    event = factory.event(president=president)
    access = factory.token(president)
    url = path.format(event=gid("Event", event))
    # when it is sent in the address, even beside a good Authorization header
    response = client.get(
        url, params={param: access}, headers={"Authorization": f"Bearer {access}"}
    )
    # then the request is refused, saying where the token goes
    assert response.status_code == 401
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Authorization: Bearer" in error["message"]
    assert "icalUrl" in error["message"]


@pytest.mark.parametrize(
    "query",
    ["{access}", "token=Bearer%20{access}", "next=%2Fgraphql%3Ftoken%3D{access}&x=1"],
)
def test_an_access_token_anywhere_in_the_address_is_refused(factory, client, query):
    # given a valid access token, in the address as a bare name, after a scheme, inside a value
    access = factory.token(factory.user())
    # when a route is asked with it
    response = client.get(f"/healthz?{query.format(access=access)}")
    # then it is refused as when it is the whole of `?token=`
    assert response.status_code == 401
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Authorization: Bearer" in error["message"]


def test_an_access_token_in_a_websocket_address_is_refused(factory, client):
    access = factory.token(factory.user())
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        client.websocket_connect(f"/graphql?token={access}", subprotocols=["graphql-transport-ws"]),
    ):
        pass
    assert closed.value.code == 4401


def test_the_addresses_of_a_list_of_events_are_read_in_one_statement(
    gql, factory, db, count_statements
):
    # given a member of three events, who has read their addresses once (which made the feeds)
    user = factory.user()
    for _ in range(3):
        factory.member(factory.event(), Role.PARTICIPANT, user=user)
    token = factory.token(user)
    first = gql.ok("{ events { icalUrl } }", token=token)["events"]
    # when the list is read again
    with count_statements() as statements:
        again = gql.ok("{ events { icalUrl } }", token=token)["events"]
    # then the same addresses, the feeds read in one statement for all three
    assert again == first
    assert len([s for s in statements if "calendar_feed" in s]) == 1
