"""createEvent (ADMIN only, names the president) and updateEvent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

import models
from models import Role
from tests.api.conftest import rows
from tests.conftest import error_codes
from tests.factories import gid

CREATE = """mutation($input: EventInput!) {
  createEvent(input: $input) { id name description location startsAt endsAt timezone president { fullName email } }
}"""
UPDATE = """mutation($id: ID!, $input: EventInput!) {
  updateEvent(id: $id, input: $input) { id name location timezone startsAt endsAt president { id fullName } }
}"""


def _input(**kw):
    values = {
        "name": "Salon du livre",
        "description": "Trois jours de rencontres",
        "location": "Lyon",
        "startsAt": "2027-03-01T08:00:00+01:00",
        "endsAt": "2027-03-03T19:00:00+01:00",
        "timezone": "Europe/Paris",
    }
    values.update(kw)
    return values


def test_admin_creates_an_event_naming_a_new_president(gql, factory, db):
    # given
    admin = factory.user(admin=True)
    # when
    data = gql.ok(
        CREATE, {"input": _input(presidentEmail="Claire@Example.org")}, factory.token(admin)
    )
    # then
    event = data["createEvent"]
    assert event["name"] == "Salon du livre"
    assert event["startsAt"] == "2027-03-01T07:00:00+00:00"
    assert event["timezone"] == "Europe/Paris"
    assert event["president"]["email"] == "claire@example.org"
    db.expire_all()
    president = db.exec(select(models.User).where(models.User.email == "claire@example.org")).one()
    assert president.password_hash is None
    stored = db.exec(select(models.Event)).one()
    assert stored.president_id == president.id


def test_admin_names_an_existing_user_president(gql, factory, db):
    admin = factory.user(admin=True)
    claire = factory.user(email="claire@example.org", name="Claire")
    data = gql.ok(
        CREATE, {"input": _input(presidentEmail="claire@example.org")}, factory.token(admin)
    )
    assert data["createEvent"]["president"] == {"fullName": "Claire", "email": "claire@example.org"}
    db.expire_all()
    assert db.exec(select(models.Event)).one().president_id == claire.id
    assert len(rows(db, models.User)) == 2


@pytest.mark.parametrize(
    ("_case", "role"),
    [
        ("president", "president"),
        ("gestionnaire", Role.GESTIONNAIRE_DES_SALLES),
        ("participant", Role.PARTICIPANT),
    ],
)
def test_only_admins_create_events(gql, factory, db, _case, role):
    # given
    president = factory.user()
    event = factory.event(president=president)
    user = president if role == "president" else factory.member(event, role).user_id
    viewer = user if isinstance(user, models.User) else db.get(models.User, user)
    # when
    body = gql(CREATE, {"input": _input()}, factory.token(viewer))
    # then
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["message"] == "Only admins may do this (Mutation.createEvent)."
    assert [e["id"] for e in rows(db, models.Event)] == [event.id]


def test_create_event_needs_a_login(gql, db):
    body = gql(CREATE, {"input": _input()})
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert rows(db, models.Event) == []


@pytest.mark.parametrize(
    ("_case", "override", "message"),
    [
        (
            "ends before start",
            {"endsAt": "2027-02-28T08:00:00+01:00"},
            "An event must end after it starts.",
        ),
        (
            "unknown zone",
            {"timezone": "Mars/Olympus"},
            "'Mars/Olympus' is not a time zone; use an IANA name such as Europe/Paris.",
        ),
        ("blank name", {"name": "   "}, "The event's name cannot be empty."),
        (
            "bad president email",
            {"presidentEmail": "not-an-email"},
            "'not-an-email' is not an email address.",
        ),
    ],
)
def test_create_event_refuses_bad_input(gql, factory, db, _case, override, message):
    admin = factory.user(admin=True)
    body = gql(CREATE, {"input": _input(**override)}, factory.token(admin))
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == message
    assert rows(db, models.Event) == []
    assert len(rows(db, models.User)) == 1


@pytest.mark.parametrize("role", ["president", Role.GESTIONNAIRE_DES_SALLES])
def test_president_and_gestionnaire_update_the_event(gql, factory, db, role):
    president = factory.user(email="p@example.org")
    event = factory.event(president=president)
    viewer = (
        president
        if role == "president"
        else db.get(models.User, factory.member(event, role).user_id)
    )
    data = gql.ok(
        UPDATE,
        {
            "id": gid("Event", event),
            "input": _input(
                name="Nouveau nom",
                presidentEmail="p@example.org",
                startsAt=event.starts_at.isoformat(),
                endsAt=event.ends_at.isoformat(),
            ),
        },
        factory.token(viewer),
    )
    assert data["updateEvent"]["name"] == "Nouveau nom"
    assert data["updateEvent"]["president"]["id"] == gid("User", president)
    db.expire_all()
    stored = db.get(models.Event, event.id)
    assert (stored.name, stored.president_id) == ("Nouveau nom", president.id)


def test_only_admins_name_another_president(gql, factory, db):
    president = factory.user()
    factory.user(email="other@example.org")
    event = factory.event(president=president)
    before = rows(db, models.Event)
    body = gql(
        UPDATE,
        {"id": gid("Event", event), "input": _input(presidentEmail="other@example.org")},
        factory.token(president),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert body["errors"][0]["message"] == "Only admins may name an event's president."
    assert rows(db, models.Event) == before


def test_admin_changes_the_president(gql, factory, db):
    admin = factory.user(admin=True)
    event = factory.event(president=factory.user())
    data = gql.ok(
        UPDATE,
        {"id": gid("Event", event), "input": _input(presidentEmail="new@example.org")},
        factory.token(admin),
    )
    db.expire_all()
    new = db.exec(select(models.User).where(models.User.email == "new@example.org")).one()
    assert data["updateEvent"]["president"]["id"] == gid("User", new)
    assert db.get(models.Event, event.id).president_id == new.id


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.CONTROLLEUR_DES_BADGES, Role.EXPOSANT])
def test_other_members_cannot_update_the_event(gql, factory, db, role):
    event = factory.event(president=factory.user())
    member = factory.member(event, role)
    before = rows(db, models.Event)
    body = gql(
        UPDATE,
        {"id": gid("Event", event), "input": _input()},
        factory.token(db.get(models.User, member.user_id)),
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert rows(db, models.Event) == before


def test_update_of_another_events_is_not_found(gql, factory, db):
    mine = factory.event(president=(president := factory.user()))
    other = factory.event(president=factory.user())
    before = rows(db, models.Event)
    body = gql(UPDATE, {"id": gid("Event", other), "input": _input()}, factory.token(president))
    assert error_codes(body) == ["NOT_FOUND"]
    assert rows(db, models.Event) == before
    assert mine.id != other.id


def test_update_refuses_dates_leaving_sessions_outside(gql, factory, db):
    president = factory.user()
    event = factory.event(president=president)
    room = factory.room(event)
    factory.session(room, title="Keynote", starts_at=event.ends_at - timedelta(hours=2))
    before = rows(db, models.Event)
    body = gql(
        UPDATE,
        {
            "id": gid("Event", event),
            "input": _input(
                startsAt=event.starts_at.isoformat(),
                endsAt=(event.ends_at - timedelta(hours=3)).isoformat(),
            ),
        },
        factory.token(president),
    )
    assert error_codes(body) == ["CONFLICT"]
    assert (
        body["errors"][0]["message"]
        == "The session “Keynote” would fall outside the event's new dates; move it first."
    )
    assert rows(db, models.Event) == before


def test_update_refuses_bad_input(gql, factory, db):
    president = factory.user()
    event = factory.event(president=president)
    before = rows(db, models.Event)
    body = gql(
        UPDATE,
        {"id": gid("Event", event), "input": _input(timezone="Nowhere")},
        factory.token(president),
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert rows(db, models.Event) == before


@pytest.mark.parametrize(
    "dates",
    [
        {"endsAt": "9999-12-31T23:00:00-14:00"},
        {"startsAt": "1970-01-01T08:00:00+00:00"},
        {"endsAt": "2100-01-02T08:00:00+00:00"},
    ],
    ids=["overflows-in-utc", "1970", "past-2099"],
)
def test_dates_out_of_a_sane_range_are_bad_input_and_create_nothing(gql, factory, db, dates):
    admin = factory.user(admin=True)
    body = gql(CREATE, {"input": _input(**dates)}, factory.token(admin))
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "must fall between 2000-01-01 and 2100-01-01" in body["errors"][0]["message"]
    assert db.exec(select(models.Event)).all() == []
