"""Health that tells the truth: /healthz while the process lives, /readyz while requests can
succeed (the database answers, at the code's revision)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from starlette.testclient import TestClient

from app.main import create_app
from app.migrate import head_revision


def test_ready_on_a_migrated_database(client):
    answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ready", "revision": head_revision()}
    assert client.get("/healthz").json() == {"status": "ok"}


def _served(settings, url: str) -> TestClient:
    return TestClient(create_app(dataclasses.replace(settings, database_url=url)))


def test_not_ready_on_a_database_never_migrated(settings, tmp_path: Path):
    with _served(settings, f"sqlite:///{tmp_path / 'empty.db'}") as client:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "5"
        assert answer.json() == {
            "status": "unavailable",
            "reason": f"The database is empty (never migrated), not at {head_revision()}: "
            "run `agora migrate`.",
        }
        # Alive all the same: a restart would not help.
        assert client.get("/healthz").status_code == 200


def test_not_ready_when_the_database_cannot_be_reached(settings, tmp_path: Path):
    with _served(settings, f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}") as client:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json() == {
            "status": "unavailable",
            "reason": "The database cannot be reached.",
        }
