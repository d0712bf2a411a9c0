"""Headers every answer carries: no content sniffing; GraphQL answers (tokens) never stored."""

from __future__ import annotations

from tests.factories import PASSWORD

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"""


def test_a_login_answer_is_never_stored_nor_sniffed(gql, factory):
    factory.user(email="ada@example.org")
    response = gql.client.post(
        "/graphql", json={"query": LOGIN, "variables": {"e": "ada@example.org", "p": PASSWORD}}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_refusal_of_the_transport_is_not_stored_either(gql):
    response = gql.client.post(
        "/graphql", content=b"not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_other_answer_is_not_sniffed(gql):
    for path in ("/healthz", "/graphiql", "/no-such-page"):
        response = gql.client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
