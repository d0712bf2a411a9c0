"""A database out of reach is weather, not a bug: 503 SERVICE_UNAVAILABLE with Retry-After,
logged once for the outage, and the server answers again once the database is back."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from app.main import create_app
from tests.conftest import PG_URL
from tests.db_proxy import DatabaseProxy
from tests.factories import PASSWORD

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="a database reached over the network: the PostgreSQL run has one"
)

ME = "{ me { email } }"
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }"""


@pytest.fixture
def proxy(settings) -> Iterator[tuple[DatabaseProxy, TestClient]]:
    url = make_url(settings.database_url)
    relay = DatabaseProxy((url.host or "127.0.0.1", url.port or 5432))
    through = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    app = create_app(dataclasses.replace(settings, database_url=through))
    try:
        with TestClient(app) as client:
            yield relay, client
    finally:
        relay.close()


def test_an_outage_is_a_503_with_a_wait_and_one_log_line(proxy, factory, caplog):
    relay, client = proxy
    user = factory.user()
    headers = {"Authorization": f"Bearer {factory.token(user)}"}
    assert client.post("/graphql", json={"query": ME}, headers=headers).json() == {
        "data": {"me": {"email": user.email}}
    }

    relay.cut()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="agora"):
        answers = [
            client.post("/graphql", json={"query": ME}, headers=headers),
            client.post(
                "/graphql",
                json={"query": LOGIN, "variables": {"e": user.email, "p": PASSWORD}},
            ),
            client.post("/graphql", json={"query": ME}, headers=headers),
        ]
    for answer in answers:
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "5"
        errors = answer.json()["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["SERVICE_UNAVAILABLE"]
        assert "cannot be reached" in errors[0]["message"]
    outage_lines = [r for r in caplog.records if r.name == "agora"]
    assert len(outage_lines) == 1, [r.getMessage() for r in outage_lines]
    assert outage_lines[0].getMessage().startswith("the database cannot be reached")
    assert outage_lines[0].exc_info is None  # one line, not a trace

    relay.mend()
    # The pool dropped the dead connections with the outage: the next request reconnects.
    again = client.post("/graphql", json={"query": ME}, headers=headers)
    assert again.status_code == 200
    assert again.json() == {"data": {"me": {"email": user.email}}}
