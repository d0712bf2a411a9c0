"""Test set-up: a real database (SQLite file, or PostgreSQL when AGORA_TEST_DATABASE_URL is set),
migrated once with Alembic, emptied after every test; the real ASGI app; real tokens."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel
from starlette.testclient import TestClient

from app.db import make_engine, make_session_factory
from app.main import create_app
from app.migrate import upgrade
from kernel.settings import Settings, load_settings
from tests.factories import Factory
from tests.live_data import door  # noqa: F401  (fixtures for every test module)
from tests.live_server import live_server, start_server  # noqa: F401

PG_URL = os.environ.get("AGORA_TEST_DATABASE_URL")


@contextmanager
def _postgres_database(admin_url: str) -> Iterator[str]:
    """A fresh database for this test run on the given server, dropped afterwards."""
    name = f"agora_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:  # an unreachable server fails here: CI must not skip PostgreSQL
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if PG_URL:
        with _postgres_database(PG_URL) as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'agora.db'}"


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    data_dir: Path = tmp_path_factory.mktemp("data")
    return load_settings(
        {
            "AGORA_ENV": "development",
            "AGORA_DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "AGORA_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            # Pushes in tests come from the writes' news: a poll would arrive long after.
            "AGORA_LIVE_POLL_SECONDS": "3600",
        }
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _empty(engine: Engine) -> None:
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session for building and checking data; the database is emptied after the test."""
    session = make_session_factory(engine)()
    try:
        yield session
    finally:
        session.close()
        _empty(engine)


@pytest.fixture
def factory(db: Session, settings: Settings) -> Factory:
    return Factory(db, settings)


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Any:
    return create_app(settings, engine)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


class GraphQLClient:
    """Posts operations to /graphql as a client would."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    def ok(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The data of a request that must succeed without any error."""
        body = self(query, variables, token)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture
def gql(client: TestClient, db: Session) -> GraphQLClient:
    return GraphQLClient(client)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


@pytest.fixture
def count_statements(engine: Engine) -> Callable[[], Any]:
    """`with count_statements() as counter:` counts SQL statements the server runs meanwhile."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        with before_each_statement(engine, record):
            yield statements

    return counting


@contextmanager
def before_each_statement(engine: Engine, record: Callable[..., None]) -> Iterator[None]:
    """`record(connection, cursor, statement, parameters, …)` is told of each SQL statement the
    server runs meanwhile."""
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", record)
