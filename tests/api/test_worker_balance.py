"""`agora serve --workers N`: a worker with more requests in progress than a sibling lets
connections go (`Connection: close`), so that clients reconnect to the idler one."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.balance import GROUP_ENV, SLOT, forget_group, group_file
from app.main import create_app

EVENTS = "{ events { id } }"


@pytest.fixture
def group(monkeypatch) -> Iterator[str]:
    name = f"test-{uuid.uuid4().hex}"
    monkeypatch.setenv(GROUP_ENV, name)
    yield name
    forget_group()


def _sibling(group: str, in_progress: int) -> None:
    """A sibling worker (this test's parent process, which is alive) with `in_progress`."""
    with group_file(group).open("r+b") as shared:
        shared.seek(255 * SLOT.size)
        shared.write(SLOT.pack(os.getppid(), in_progress))


def _connection_headers(client: TestClient, token: str) -> list[str]:
    """The Connection header of each answer, eight clients sending five operations each."""
    seen: list[str] = []

    def ask() -> None:
        for _ in range(5):
            answer = client.post(
                "/graphql", json={"query": EVENTS}, headers={"Authorization": f"Bearer {token}"}
            )
            assert "errors" not in answer.json()
            seen.append(answer.headers.get("connection", "keep-alive"))

    askers = [threading.Thread(target=ask) for _ in range(8)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(timeout=60)
    assert len(seen) == 40
    return seen


def test_a_crowded_worker_lets_connections_go(settings, engine, factory, group):
    token = factory.token(factory.user())
    with TestClient(create_app(settings, engine)) as client:
        # given: a sibling with nothing in progress
        _sibling(group, 0)
        # then: answers given while this worker had two or more in progress close their
        # connection
        assert "close" in _connection_headers(client, token)
        # given: a sibling busier than this worker can be
        _sibling(group, 1000)
        # then: every connection is kept
        assert set(_connection_headers(client, token)) == {"keep-alive"}


def test_a_worker_alone_keeps_its_connections(settings, engine, factory):
    # given: no group (one process)
    assert GROUP_ENV not in os.environ
    token = factory.token(factory.user())
    with TestClient(create_app(settings, engine)) as client:
        assert set(_connection_headers(client, token)) == {"keep-alive"}
