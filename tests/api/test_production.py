"""Production (AGORA_ENV=production) shows a hostile client nothing to work with; development
keeps its friendliness. Each check below is one a GraphQL security scanner makes."""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

import models
from app.main import create_app
from models import Role
from tests.api.conftest import minimal_pdf
from tests.factories import gid

INTROSPECTION = "query { __schema { types { name fields { name } } } }"
TYPE_QUERY = '{ __type(name: "Room") { name } }'


def _post(base: str, body: Any, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{base}/graphql", json=body, headers=headers)


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.json().get("errors", [])


@pytest.fixture
def people(factory: Any, db: Any) -> dict[str, Any]:
    admin = factory.user(admin=True)
    event = factory.event(president=factory.user())
    participant = factory.member(event, Role.PARTICIPANT)
    return {
        "admin": factory.token(admin),
        "participant": factory.token(db.get(models.User, participant.user_id)),
        "event": event,
    }


def test_alias_overloading_refused_with_the_limit_named(start_server):
    base = start_server(env="production")
    aliases = " ".join(f"a{i}: __typename" for i in range(101))
    response = _post(base, {"query": f"query cop {{ {aliases} }}"})
    [error] = _errors(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "101 aliases" in error["message"]
    assert "at most 30" in error["message"]
    assert response.json()["data"] is None
    thirty = " ".join(f"a{i}: __typename" for i in range(30))
    assert _post(base, {"query": f"{{ {thirty} }}"}).json()["data"]["a29"] == "Query"


def test_directive_overloading_refused_once(start_server):
    base = start_server(env="production")
    response = _post(base, {"query": "query cop { __typename " + "@aa" * 10 + " }"})
    [error] = _errors(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "10 directives on one field" in error["message"]
    assert "at most 5" in error["message"]


def test_cost_multiplies_by_first(start_server, people):
    base = start_server(env="production")
    # Pages of questions in each session of each room: 50 rooms of 40 sessions, as the cost
    # counts them (docs/api.md), of 100 questions.
    nested = """query($id: ID!) { event(id: $id) { rooms { sessions {
      questions(first: 100) { edges { node { id text } } } } } } }"""
    response = _post(base, {"query": nested, "variables": {"id": gid("Event", people["event"])}})
    [error] = _errors(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "costs 604052" in error["message"]
    assert "at most 250000" in error["message"]
    small = nested.replace("first: 100", "first: 5")
    answered = _post(
        base, {"query": small, "variables": {"id": gid("Event", people["event"])}}, people["admin"]
    )
    assert "errors" not in answered.json(), answered.json()


# Every list multiplies what is selected under it: the event's sessions (500 at most, as the
# cost counts them), each one's event, its sessions again...
NESTED_LISTS = (
    "{ events { sessions { event { sessions { event { sessions { event { sessions { title }"
    " } } } } } } } }"
)
PROGRAMME = """query($id: ID!) { event(id: $id) { name rooms { name capacity sessions {
  id title startsAt endsAt kind status questions { totalCount } } } } }"""


def test_nested_plain_lists_are_refused_before_they_run(
    start_server, people, factory, db, count_statements
):
    # given: an event with a programme
    room = factory.room(people["event"], name="Salle 1")
    factory.session(room, title="Ouverture")
    base = start_server(env="production")
    # when: a participant nests its lists in one another
    with count_statements() as statements:
        response = _post(base, {"query": NESTED_LISTS}, people["participant"])
    # then: refused whole, with the cost and the limit, before any of it is read
    [error] = _errors(response)
    assert response.json()["data"] is None
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "costs 1255010020021" in error["message"]
    assert "at most 250000" in error["message"]
    assert statements == []
    # and the programme, lists in lists too, is answered
    variables = {"id": gid("Event", people["event"])}
    answer = _post(base, {"query": PROGRAMME, "variables": variables}, people["participant"]).json()
    assert "errors" not in answer, answer
    [salle] = answer["data"]["event"]["rooms"]
    assert (salle["name"], [s["title"] for s in salle["sessions"]]) == ("Salle 1", ["Ouverture"])


def test_depth_and_tokens_are_limited_in_both_modes(start_server):
    # Deep without lists, so that no cost refuses it first.
    deep = '{ room(id: "x") { ' + "currentSession { room { " * 6 + "id" + " } }" * 6 + " } }"
    many = "{ " + "__typename " * 6000 + "}"
    for env in ("development", "production"):
        base = start_server(env=env)
        [too_deep] = _errors(_post(base, {"query": deep}))
        assert too_deep["extensions"]["code"] == "BAD_USER_INPUT"
        assert "exceeds maximum operation depth of 12" in too_deep["message"]
        [too_long] = _errors(_post(base, {"query": many}))
        assert too_long["extensions"]["code"] == "BAD_USER_INPUT"
        assert "5000 tokens" in too_long["message"]


def test_no_field_suggestions_in_production_only(start_server):
    query = {"query": "{ __schema { directive } events { nme } }"}
    production = _errors(_post(start_server(env="production"), query))
    assert production
    assert all("Did you mean" not in e["message"] for e in production)
    development = _errors(_post(start_server(), query))
    assert any("Did you mean" in e["message"] for e in development)


def test_no_enum_suggestions_in_variables_in_production(start_server, people):
    query = 'mutation($s: SessionStatus!) { setSessionStatus(id: "x", status: $s) { id } }'
    response = _post(
        start_server(env="production"), {"query": query, "variables": {"s": "EN_COUR"}}
    )
    [error] = _errors(response)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Did you mean" not in error["message"]


def test_queries_only_over_post_in_production(start_server):
    base = start_server(env="production")
    response = httpx.get(f"{base}/graphql", params={"query": "{ __typename }"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    [error] = _errors(response)
    assert error["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert "__typename" not in response.text
    development = httpx.get(f"{start_server()}/graphql", params={"query": "{ __typename }"})
    assert development.json() == {"data": {"__typename": "Query"}}


def test_mutations_never_over_get(start_server):
    response = httpx.get(
        f"{start_server()}/graphql", params={"query": 'mutation { logout(refreshToken: "x") }'}
    )
    assert response.status_code == 405
    assert _errors(response)[0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_no_ide_on_the_api_endpoint_in_production(start_server):
    base = start_server(env="production")
    page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 405
    assert "graphiql" not in page.text.lower()
    graphiql = httpx.get(f"{base}/graphiql")
    assert graphiql.status_code == 200
    assert "GraphiQL" in graphiql.text
    development = httpx.get(f"{start_server()}/graphql", headers={"Accept": "text/html"})
    assert "graphiql" in development.text.lower()


def test_no_batching(start_server):
    for env in ("development", "production"):
        response = _post(start_server(env=env), [{"query": "{ __typename }"}] * 2)
        assert response.status_code == 400
        assert "__typename" not in response.text
        assert _errors(response)[0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("query", [INTROSPECTION, TYPE_QUERY])
def test_introspection_for_admins_only_in_production(start_server, people, query):
    base = start_server(env="production")
    for token in (None, people["participant"]):
        response = _post(base, {"query": query}, token)
        [error] = _errors(response)
        assert error["extensions"]["code"] == "FORBIDDEN"
        assert "admin" in error["message"]
        assert response.json()["data"] is None
    bad = _post(base, {"query": query}, "forged")
    assert _errors(bad)[0]["extensions"]["code"] == "UNAUTHENTICATED"
    admin = _post(base, {"query": query}, people["admin"]).json()
    assert "errors" not in admin
    assert admin["data"]
    # Development: anyone explores.
    assert "errors" not in _post(start_server(), {"query": query}).json()


def test_introspection_hidden_in_a_fragment_is_still_gated(start_server, people):
    base = start_server(env="production")
    query = "query { ...F } fragment F on Query { __schema { queryType { name } } }"
    [error] = _errors(_post(base, {"query": query}, people["participant"]))
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert _post(base, {"query": "{ __typename }"}).json() == {"data": {"__typename": "Query"}}


def test_multipart_requests_get_the_same_rules(start_server, people):
    base = start_server(env="production")
    operations = {"query": INTROSPECTION, "variables": {"file": None}}
    response = httpx.post(
        f"{base}/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("plan.pdf", minimal_pdf(), "application/pdf")},
    )
    assert response.status_code == 200
    errors = _errors(response)
    assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]


def _bench_queries() -> list[str]:
    """The speed workloads' documents, read from bench/harness.py itself."""
    tree = ast.parse((Path(__file__).parents[2] / "bench" / "harness.py").read_text())
    return [
        node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        and node.targets[0].id.endswith(("_QUERY", "_MUTATION"))  # type: ignore[attr-defined]
    ]


def test_the_bench_workloads_fit_the_production_limits(start_server, people):
    base = start_server(env="production")
    queries = _bench_queries()
    assert len(queries) >= 5
    for query in queries:
        variables = {"id": "x", "input": {"roomId": "x", "code": "x"}}
        answer = _post(base, {"query": query, "variables": variables}, people["admin"]).json()
        codes = {e["extensions"]["code"] for e in answer.get("errors", [])}
        # Refused only for the made-up ids, never by a limit or validation.
        assert codes <= {"NOT_FOUND"}, answer


@pytest.fixture
def production_client(settings: Any, engine: Any, db: Any) -> Any:
    app = create_app(dataclasses.replace(settings, env="production"), engine)
    with TestClient(app) as client:
        yield client


def _socket_answer(client: Any, token: str, query: str) -> dict[str, Any]:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {"query": query}})
        return ws.receive_json()


def test_the_websocket_maps_no_schema_in_production(production_client, people, factory, db):
    introspection = _socket_answer(production_client, people["participant"], INTROSPECTION)
    assert introspection["type"] == "error"
    assert introspection["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "__schema" not in json.dumps(introspection)


def test_the_websocket_limits_aliases_in_production(production_client, people):
    aliases = " ".join(f"a{i}: id" for i in range(1500))
    query = f'subscription {{ annoncePublished(eventId: "x") {{ {aliases} }} }}'
    refused = _socket_answer(production_client, people["participant"], query)
    assert refused["type"] == "error"
    assert refused["id"] == "1"
    [error] = refused["payload"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "1500 aliases" in error["message"]
    assert "at most 30" in error["message"]


def test_the_websocket_counts_the_cost_in_production(production_client, people):
    heavy = (
        'subscription { roomOccupancy(roomId: "x") { room { event { sessions { event { '
        "sessions { title } } } } } } }"
    )
    refused = _socket_answer(production_client, people["participant"], heavy)
    assert refused["type"] == "error"
    [error] = refused["payload"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "costs 251004" in error["message"]
    assert "at most 250000" in error["message"]


@pytest.fixture
def development_client(settings: Any, engine: Any, db: Any) -> Any:
    with TestClient(create_app(settings, engine)) as client:
        yield client


def test_no_suggestions_over_the_websocket_in_production(
    production_client, development_client, people
):
    query = 'subscription { annoncePublished(eventId: "x") { titel } }'
    production = _socket_answer(production_client, people["participant"], query)
    assert production["type"] == "error"
    [error] = production["payload"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "titel" in error["message"]
    assert "Did you mean" not in error["message"]
    development = _socket_answer(development_client, people["participant"], query)
    assert "Did you mean 'title'?" in development["payload"][0]["message"]
