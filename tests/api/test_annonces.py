"""createAnnonce, updateAnnonce and deleteAnnonce (author only), Event.annonces per role."""

from __future__ import annotations

from datetime import timedelta

import pytest

import models
from models import AnnonceTarget, Role
from tests.api.conftest import rows
from tests.conftest import error_codes
from tests.factories import gid

CREATE = """mutation($e: ID!, $t: String!, $d: String!, $target: AnnonceTarget!) {
  createAnnonce(eventId: $e, title: $t, description: $d, target: $target) { id title description target canEdit createdBy { id } }
}"""
UPDATE = """mutation($id: ID!, $t: String, $d: String, $target: AnnonceTarget) {
  updateAnnonce(id: $id, title: $t, description: $d, target: $target) { id title description target }
}"""
DELETE = """mutation($id: ID!) { deleteAnnonce(id: $id) }"""
LIST = """query($id: ID!) { event(id: $id) { annonces { title } } }"""


@pytest.fixture
def cast(factory, db):
    president = factory.user()
    event = factory.event(president=president)

    def user_of(role):
        return db.get(models.User, factory.member(event, role).user_id)

    return {
        "event": event,
        "president": president,
        "gestionnaire": user_of(Role.GESTIONNAIRE_DES_SALLES),
        "other_gestionnaire": user_of(Role.GESTIONNAIRE_DES_SALLES),
        "participant": user_of(Role.PARTICIPANT),
        "exposant": user_of(Role.EXPOSANT),
    }


@pytest.mark.parametrize("who", ["president", "gestionnaire"])
def test_organizer_or_gestionnaire_publishes(gql, factory, db, cast, who):
    author = cast[who]
    data = gql.ok(
        CREATE,
        {
            "e": gid("Event", cast["event"]),
            "t": "Pause café",
            "d": "À 10h, hall A",
            "target": "ALL",
        },
        factory.token(author),
    )
    annonce = data["createAnnonce"]
    assert (annonce["title"], annonce["target"], annonce["canEdit"]) == ("Pause café", "ALL", True)
    assert annonce["createdBy"]["id"] == gid("User", author)
    (stored,) = rows(db, models.Annonce)
    assert (stored["created_by_id"], stored["event_id"]) == (author.id, cast["event"].id)


def test_create_annonce_refusals_change_nothing(gql, factory, db, cast):
    e = gid("Event", cast["event"])
    body = gql(
        CREATE, {"e": e, "t": "X", "d": "Y", "target": "ALL"}, factory.token(cast["participant"])
    )
    assert error_codes(body) == ["FORBIDDEN"]
    body = gql(
        CREATE, {"e": e, "t": "  ", "d": "Y", "target": "ALL"}, factory.token(cast["president"])
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["message"] == "The title cannot be empty."
    outsider = factory.user()
    factory.event(president=outsider)
    body = gql(CREATE, {"e": e, "t": "X", "d": "Y", "target": "ALL"}, factory.token(outsider))
    assert error_codes(body) == ["NOT_FOUND"]
    assert rows(db, models.Annonce) == []


@pytest.mark.parametrize("who", ["president", "gestionnaire"])
def test_author_updates_and_deletes(gql, factory, db, cast, who):
    annonce = factory.annonce(cast["event"], cast[who], AnnonceTarget.ALL, title="Avant")
    token = factory.token(cast[who])
    data = gql.ok(
        UPDATE, {"id": gid("Annonce", annonce), "t": "Après", "target": "EXPOSANTS"}, token
    )
    assert data["updateAnnonce"] == {
        "id": gid("Annonce", annonce),
        "title": "Après",
        "description": "…",
        "target": "EXPOSANTS",
    }
    (stored,) = rows(db, models.Annonce)
    assert (stored["title"], stored["target"]) == ("Après", "EXPOSANTS")
    assert stored["updated_at"] >= stored["created_at"]
    assert gql.ok(DELETE, {"id": gid("Annonce", annonce)}, token) == {"deleteAnnonce": True}
    assert rows(db, models.Annonce) == []


@pytest.mark.parametrize("who", ["president", "other_gestionnaire", "participant"])
def test_only_the_author_edits_or_deletes(gql, factory, db, cast, who):
    annonce = factory.annonce(cast["event"], cast["gestionnaire"], AnnonceTarget.ALL)
    before = rows(db, models.Annonce)
    token = factory.token(cast[who])
    body = gql(UPDATE, {"id": gid("Annonce", annonce), "t": "Piraté"}, token)
    assert error_codes(body) == ["FORBIDDEN"]
    assert (
        body["errors"][0]["message"]
        == "Only members of the event who wrote it may do this (Mutation.updateAnnonce)."
    )
    assert error_codes(gql(DELETE, {"id": gid("Annonce", annonce)}, token)) == ["FORBIDDEN"]
    assert rows(db, models.Annonce) == before


def test_update_annonce_bad_input_and_not_found(gql, factory, db, cast):
    annonce = factory.annonce(cast["event"], cast["president"], AnnonceTarget.ALL)
    before = rows(db, models.Annonce)
    token = factory.token(cast["president"])
    body = gql(UPDATE, {"id": gid("Annonce", annonce), "d": ""}, token)
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert error_codes(gql(DELETE, {"id": "QW5ub25jZTo5OTk"}, token)) == ["NOT_FOUND"]
    outsider = factory.user()
    factory.event(president=outsider)
    assert error_codes(gql(DELETE, {"id": gid("Annonce", annonce)}, factory.token(outsider))) == [
        "NOT_FOUND"
    ]
    assert rows(db, models.Annonce) == before


def test_each_viewer_reads_the_annonces_targeted_at_its_role_newest_first(gql, factory, cast):
    now = models.utcnow()
    for n, target in enumerate(
        [AnnonceTarget.ALL, AnnonceTarget.PARTICIPANTS, AnnonceTarget.EXPOSANTS]
    ):
        factory.annonce(
            cast["event"],
            cast["president"],
            target,
            title=target.value,
            created_at=now + timedelta(minutes=n),
        )
    variables = {"id": gid("Event", cast["event"])}

    def titles(user):
        return [
            a["title"] for a in gql.ok(LIST, variables, factory.token(user))["event"]["annonces"]
        ]

    assert titles(cast["participant"]) == ["PARTICIPANTS", "ALL"]
    assert titles(cast["exposant"]) == ["EXPOSANTS", "ALL"]
    assert titles(cast["president"]) == ["EXPOSANTS", "PARTICIPANTS", "ALL"]
