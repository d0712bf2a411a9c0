"""Query answers served again (`app.response_cache`): without a statement while nothing changed,
never once something they depend on has: a write from any connection, another token, the clock
(a staff slot's end, the token's expiry)."""

from __future__ import annotations

import pickle
import time
from dataclasses import replace
from datetime import timedelta

from starlette.testclient import TestClient

import models
from app.main import create_app
from app.response_cache import ResponseCache
from kernel import security
from models import Role
from tests.conftest import GraphQLClient, error_codes
from tests.factories import gid

EXPOSANT = """query($id: ID!) { node(id: $id) { ... on Member { exposantStats {
  totalVisits todayVisits uniqueVisitors
  visits(first: 50) { totalCount edges { node { id note participant { fullName email } } } }
} } } }"""

ROOM = """query($id: ID!) { room(id: $id) { name stats { totalScans
  scans(first: 10) { totalCount edges { node { id member { fullName } } } } } } }"""

TOTALS = """query($id: ID!) { node(id: $id) { ... on Member { exposantStats { totalVisits } } } }"""

CURRENT_ROOM = """{ me { memberships { currentAssignment { room { name } } } } }"""


def _token_of(factory, member) -> str:
    return factory.token(factory.db.get(models.User, member.user_id))


def _exposant_with_visits(factory, visits: int = 3):
    event = factory.event()
    exposant = factory.member(event, Role.EXPOSANT, company="Stand")
    for _ in range(visits):
        factory.visit(exposant, factory.member(event, Role.PARTICIPANT))
    return event, exposant


def test_a_repeated_query_runs_no_statement_while_nothing_changed(gql, factory, count_statements):
    _, exposant = _exposant_with_visits(factory)
    token = _token_of(factory, exposant)
    variables = {"id": gid("Member", exposant)}
    with count_statements() as first:
        answer = gql.ok(EXPOSANT, variables, token)
    with count_statements() as second:
        again = gql.ok(EXPOSANT, variables, token)
    assert first, "the first answer is computed"
    assert second == []
    assert again == answer
    assert answer["node"]["exposantStats"]["totalVisits"] == 3


def test_a_write_from_another_connection_is_seen_at_once(gql, factory, count_statements):
    event, exposant = _exposant_with_visits(factory)
    token = _token_of(factory, exposant)
    variables = {"id": gid("Member", exposant)}
    assert gql.ok(EXPOSANT, variables, token)["node"]["exposantStats"]["totalVisits"] == 3
    factory.visit(exposant, factory.member(event, Role.PARTICIPANT))  # committed elsewhere
    with count_statements() as statements:
        stats = gql.ok(EXPOSANT, variables, token)["node"]["exposantStats"]
    assert statements, "the database changed: the answer is computed again"
    assert stats["totalVisits"] == 4
    assert stats["visits"]["totalCount"] == 4


def test_a_write_through_the_api_is_seen_by_the_next_read(gql, factory):
    event, exposant = _exposant_with_visits(factory, visits=1)
    token = _token_of(factory, exposant)
    variables = {"id": gid("Member", exposant)}
    visit_id = gql.ok(EXPOSANT, variables, token)["node"]["exposantStats"]["visits"]["edges"][0][
        "node"
    ]["id"]
    gql.ok(
        'mutation($id: ID!) { updateVisitNote(visitId: $id, note: "rappeler") { note } }',
        {"id": visit_id},
        token,
    )
    edges = gql.ok(EXPOSANT, variables, token)["node"]["exposantStats"]["visits"]["edges"]
    assert edges[0]["node"]["note"] == "rappeler"


def test_each_token_has_its_own_answers(gql, factory):
    event, exposant = _exposant_with_visits(factory)
    variables = {"id": gid("Member", exposant)}
    assert gql.ok(EXPOSANT, variables, _token_of(factory, exposant))["node"]["exposantStats"]
    other = factory.member(event, Role.EXPOSANT)
    refused = gql(EXPOSANT, variables, _token_of(factory, other))
    assert error_codes(refused) == ["FORBIDDEN"]
    assert gql(EXPOSANT, variables)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_refusal_is_not_kept(gql, factory, count_statements):
    event, exposant = _exposant_with_visits(factory)
    other = factory.member(event, Role.EXPOSANT)
    token = _token_of(factory, other)
    variables = {"id": gid("Member", exposant)}
    assert error_codes(gql(EXPOSANT, variables, token)) == ["FORBIDDEN"]
    with count_statements() as statements:
        assert error_codes(gql(EXPOSANT, variables, token)) == ["FORBIDDEN"]
    assert statements


def test_an_answer_that_reads_the_clock_without_a_horizon_is_computed_each_time(
    gql, factory, count_statements
):
    event = factory.event()
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    factory.assignment(controller, factory.room(event, name="Salle A"))
    token = _token_of(factory, controller)
    assert gql.ok(CURRENT_ROOM, token=token)["me"]["memberships"][0]["currentAssignment"] == {
        "room": {"name": "Salle A"}
    }
    with count_statements() as statements:
        gql.ok(CURRENT_ROOM, token=token)
    assert statements


def test_a_controllers_answer_ends_with_its_slot(gql, factory, count_statements):
    event = factory.event()
    room = factory.room(event)
    controller = factory.member(event, Role.CONTROLLEUR_DES_BADGES)
    now = models.utcnow()
    factory.assignment(
        controller, room, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(seconds=2)
    )
    token = _token_of(factory, controller)
    variables = {"id": gid("Room", room)}
    assert gql.ok(ROOM, variables, token)["room"]["stats"]["totalScans"] == 0
    with count_statements() as statements:
        gql.ok(ROOM, variables, token)
    assert statements == [], "held until the slot ends"
    time.sleep(max(0.0, (now + timedelta(seconds=2.1) - models.utcnow()).total_seconds()))
    assert error_codes(gql(ROOM, variables, token)) == ["FORBIDDEN"]


def test_an_answer_is_not_served_past_its_tokens_expiry(gql, factory, settings):
    _, exposant = _exposant_with_visits(factory)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    issued = models.utcnow() - lifetime + timedelta(seconds=2)
    token = security.issue_access_token(settings, exposant.user_id, issued)
    variables = {"id": gid("Member", exposant)}
    assert gql.ok(EXPOSANT, variables, token.token)["node"]["exposantStats"]["totalVisits"] == 3
    time.sleep(max(0.0, (token.expires_at - models.utcnow()).total_seconds()) + 0.1)
    assert error_codes(gql(EXPOSANT, variables, token.token)) == ["UNAUTHENTICATED"]


def test_the_least_recently_used_answer_makes_room(settings, engine, factory, count_statements):
    event, exposant = _exposant_with_visits(factory)
    token = _token_of(factory, exposant)
    one = {"id": gid("Member", exposant)}
    other = {"id": gid("Member", factory.member(event, Role.EXPOSANT))}
    with TestClient(create_app(replace(settings, response_cache_size=1), engine)) as client:
        gql = GraphQLClient(client)
        gql.ok(EXPOSANT, one, token)
        # A refusal is not kept: it takes no place.
        assert error_codes(gql(EXPOSANT, other, token)) == ["FORBIDDEN"]
        with count_statements() as kept:
            gql.ok(EXPOSANT, one, token)
        gql.ok(TOTALS, one, token)  # kept in the only place, in place of the first
        with count_statements() as evicted:
            gql.ok(EXPOSANT, one, token)
    assert kept == []
    assert evicted


def test_no_answer_is_kept_when_the_cache_is_off(settings, engine, factory, count_statements):
    _, exposant = _exposant_with_visits(factory)
    token = _token_of(factory, exposant)
    variables = {"id": gid("Member", exposant)}
    with TestClient(create_app(replace(settings, response_cache_size=0), engine)) as client:
        gql = GraphQLClient(client)
        gql.ok(EXPOSANT, variables, token)
        with count_statements() as statements:
            gql.ok(EXPOSANT, variables, token)
    assert statements


def test_a_garbage_token_on_a_query_that_reads_no_viewer_is_answered(gql):
    # given: a query whose only field is skipped, so that nothing reads the viewer
    query = "{ me @skip(if: true) { id } }"
    # when
    response = gql.client.post(
        "/graphql", json={"query": query}, headers={"Authorization": "Bearer garbage"}
    )
    # then: answered as without the cache, not a server error
    assert response.status_code == 200, response.text
    assert response.json() == {"data": {}}


def test_a_kept_answer_costs_its_body_not_the_request():
    # given: a request carrying a 4 MiB variable that the query never uses
    huge = {"unused": "x" * (4 << 20)}
    # when
    key = ResponseCache.key("a-token", "{ __typename }", huge, None)
    # then: its key holds nothing of the request's size, is the same for the same request and
    # another for another
    assert len(pickle.dumps(key)) < 200
    assert key == ResponseCache.key("a-token", "{ __typename }", huge, None)
    assert key != ResponseCache.key("b-token", "{ __typename }", huge, None)
